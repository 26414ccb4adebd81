-- A job id (lower-case UUID) as the listing indexes store it: its 16 bytes in 22
-- characters of an ASCII-ordered base64 alphabet (src/queue/index-members.ts holds
-- the same encoding; the worker and API pass it in, this is for the rare script
-- that finds ids itself).
local COMPACT_ALPHABET = '-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz'
local function compactId(uuid)
  local hex = string.gsub(uuid, '-', '')
  local out, bits, nbits = {}, 0, 0
  for i = 1, 32 do
    bits = bits * 16 + tonumber(string.sub(hex, i, i), 16)
    nbits = nbits + 4
    if nbits >= 6 then
      nbits = nbits - 6
      local v = math.floor(bits / 2 ^ nbits)
      bits = bits - v * 2 ^ nbits
      out[#out + 1] = string.sub(COMPACT_ALPHABET, v + 1, v + 1)
    end
  end
  local v = bits * 2 ^ (6 - nbits)
  out[#out + 1] = string.sub(COMPACT_ALPHABET, v + 1, v + 1)
  return table.concat(out)
end

--- @include "compactId"
-- A job's member in the state indexes (src/queue/index-members.ts indexMember): its
-- compact id, then for a job whose payload has a `to` address, that address's
-- recipient bucket (2 characters) and fingerprint (3), from the SHA-1 of the
-- address in ASCII lower case.
local function alphabetChar(v)
  return string.sub(COMPACT_ALPHABET, v + 1, v + 1)
end

local function indexMember(id, payload)
  local member = compactId(id)
  local ok, decoded = pcall(cjson.decode, payload or '')
  if not ok or type(decoded) ~= 'table' or type(decoded.to) ~= 'string' then
    return member
  end
  local hex = redis.sha1hex(string.lower(decoded.to))
  local bucket = tonumber(string.sub(hex, 1, 4), 16) % 1024
  local bits = math.floor(tonumber(string.sub(hex, 5, 10), 16) / 64)
  return member .. alphabetChar(math.floor(bucket / 64)) .. alphabetChar(bucket % 64) ..
    alphabetChar(math.floor(bits / 4096)) .. alphabetChar(math.floor(bits / 64) % 64) ..
    alphabetChar(bits % 64)
end

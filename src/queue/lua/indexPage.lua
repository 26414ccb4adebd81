--[[
  index page (read only): the next entries of a listing index after a cursor. `desc` is listing order (newest first: created ms, then member (job id order),
  both descending); `asc` is the oldest-first walk of upkeep, purge and retry-all,
  up to a highest score.

  When the cursor's entry is still in an index, the page starts right after it by
  rank. Otherwise the index's entries with the cursor's score come back whole
  (ascending; the caller keeps those on the far side of the cursor: Lua compares
  strings in the server's locale, not in byte order), followed by the next entries
  with a score strictly past the cursor's.

  KEYS[1]  listing index        <prefix>:index:<all | failed | cancelled>

  ARGV[1]  entries per index
  ARGV[2]  cursor score, created ms ('' = from the start)
  ARGV[3]  cursor member
  ARGV[4]  desc | asc
  ARGV[5]  asc only: highest score to return

  Output: { mode, n, member1, score1, ... }
    mode 0: entries after the cursor (or from the start), in order
    mode 1: the cursor's ties (ascending), then entries past the cursor's score, in order
]]
local rcall = redis.call

local count = tonumber(ARGV[1])
local cursorScore, cursorMember, asc, maxScore = ARGV[2], ARGV[3], ARGV[4] == 'asc', ARGV[5]
local out = {}

local function append(mode, entries)
  out[#out + 1] = mode
  out[#out + 1] = #entries / 2
  for _, value in ipairs(entries) do
    out[#out + 1] = value
  end
end

for _, key in ipairs(KEYS) do
  if cursorScore == '' then
    if asc then
      append(0, rcall('ZRANGE', key, '-inf', maxScore, 'BYSCORE', 'LIMIT', 0, count, 'WITHSCORES'))
    else
      append(0, rcall('ZRANGE', key, 0, count - 1, 'REV', 'WITHSCORES'))
    end
  else
    local rank
    if asc then
      rank = rcall('ZRANK', key, cursorMember)
    else
      rank = rcall('ZREVRANK', key, cursorMember)
    end
    if rank and asc then
      append(0, rcall('ZRANGE', key, rank + 1, rank + count, 'WITHSCORES'))
    elseif rank then
      append(0, rcall('ZRANGE', key, rank + 1, rank + count, 'REV', 'WITHSCORES'))
    else
      local entries = rcall('ZRANGE', key, cursorScore, cursorScore, 'BYSCORE', 'WITHSCORES')
      local rest
      if asc then
        rest = rcall('ZRANGE', key, '(' .. cursorScore, maxScore, 'BYSCORE', 'LIMIT', 0, count,
          'WITHSCORES')
      else
        rest = rcall('ZRANGE', key, '(' .. cursorScore, '-inf', 'BYSCORE', 'REV', 'LIMIT', 0, count,
          'WITHSCORES')
      end
      for _, value in ipairs(rest) do
        entries[#entries + 1] = value
      end
      append(1, entries)
    end
  end
end
return out

--[[
  submit with an Idempotency-Key: the first request with a key creates its jobs
  (as submit does) and remembers their ids under the key; a repeat with the same
  request fingerprint gets those ids back and creates nothing; a repeat with a
  different request is refused. One atomic step, so two concurrent requests with
  one key never both create jobs.

  KEYS[1..4]       as submit: wake-up set, delayed set, all-jobs index, events stream
  KEYS[5]          idempotency record      <prefix>:idempotency:<scope hash>
  KEYS[3i+3..3i+5] job i's hash, ready list, recipient bucket (i = 1..n), as submit

  ARGV[1]          events stream length (0 = no events)
  ARGV[2]          request fingerprint (hash of the canonical request)
  ARGV[3]          how long the key is remembered, seconds
  ARGV[7i-3..7i+3] job i's arguments, as submit

  Output:
    { 1 }                  created
    { 2, id1, id2, ... }   a repeat of an earlier request: its ids, nothing created
    { -2 }                 the key was used for a different request
    { -1 }                 one of the new ids already exists; nothing was written
]]
local rcall = redis.call
--- @include "createJobs"

local record = rcall('GET', KEYS[5])
if record then
  local sep = string.find(record, '\n', 1, true)
  if string.sub(record, 1, sep - 1) ~= ARGV[2] then
    return { -2 }
  end
  local out = { 2 }
  for id in string.gmatch(string.sub(record, sep + 1), '[^,]+') do
    out[#out + 1] = id
  end
  return out
end

local n = (#KEYS - 5) / 3
if not createJobs(6, 4, n, tonumber(ARGV[1])) then
  return { -1 }
end
local ids = {}
for i = 0, n - 1 do
  ids[#ids + 1] = ARGV[4 + 7 * i]
end
rcall('SET', KEYS[5], ARGV[2] .. '\n' .. table.concat(ids, ','), 'EX', tonumber(ARGV[3]))
return { 1 }

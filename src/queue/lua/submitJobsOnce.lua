--[[
  submit with an Idempotency-Key: the first request with a key creates its jobs
  (as submit does) and remembers their ids under the key; a repeat with the same
  request fingerprint gets those ids back and creates nothing; a repeat with a
  different request is refused. One atomic step, so two concurrent requests with
  one key never both create jobs.

  KEYS[1]          wake-up set             <prefix>:wake
  KEYS[2]          idempotency record      <prefix>:idempotency:<scope hash>
  KEYS[2i+1]       job i's hash            <prefix>:hash:<id>        (i = 1..n)
  KEYS[2i+2]       job i's ready list      <prefix>:queue:<priority>

  ARGV[1]          request fingerprint (hash of the canonical request)
  ARGV[2]          how long the key is remembered, seconds
  ARGV[4i-1]       job i's id
  ARGV[4i]         job i's job_type
  ARGV[4i+1]       job i's priority (high | low)
  ARGV[4i+2]       job i's payload (JSON text)

  Output:
    { 1 }                  created
    { 2, id1, id2, ... }   a repeat of an earlier request: its ids, nothing created
    { -2 }                 the key was used for a different request
    { -1 }                 one of the new ids already exists; nothing was written
]]
local rcall = redis.call
--- @include "time"
--- @include "createJobs"

local record = rcall('GET', KEYS[2])
if record then
  local sep = string.find(record, '\n', 1, true)
  if string.sub(record, 1, sep - 1) ~= ARGV[1] then
    return { -2 }
  end
  local out = { 2 }
  for id in string.gmatch(string.sub(record, sep + 1), '[^,]+') do
    out[#out + 1] = id
  end
  return out
end

local n = (#KEYS - 2) / 2
if not createJobs(3, 3, n, KEYS[1]) then
  return { -1 }
end
local ids = {}
for i = 0, n - 1 do
  ids[#ids + 1] = ARGV[3 + 4 * i]
end
rcall('SET', KEYS[2], ARGV[1] .. '\n' .. table.concat(ids, ','), 'EX', tonumber(ARGV[2]))
return { 1 }

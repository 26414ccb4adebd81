--[[
  submit: creates one or more jobs atomically (all or none). Each job gets its
  hash and is LPUSHed onto its priority's ready list; idle workers are woken.

  KEYS[1]          wake-up set             <prefix>:wake
  KEYS[2i]         job i's hash            <prefix>:hash:<id>        (i = 1..n)
  KEYS[2i+1]       job i's ready list      <prefix>:queue:<priority>

  ARGV[4i-3]       job i's id
  ARGV[4i-2]       job i's job_type
  ARGV[4i-1]       job i's priority (high | low)
  ARGV[4i]         job i's payload (JSON text)

  Output:
    created_ts     epoch seconds shared by every job of the call
    -1             one of the ids already exists; nothing was written
]]
local rcall = redis.call
--- @include "time"

local n = (#KEYS - 1) / 2
for i = 1, n do
  if rcall('EXISTS', KEYS[2 * i]) == 1 then
    return -1
  end
end

local createdTs = epochSeconds(nowMs())
for i = 1, n do
  local a = 4 * i
  rcall('HSET', KEYS[2 * i],
    'job_id', ARGV[a - 3], 'job_type', ARGV[a - 2], 'priority', ARGV[a - 1], 'payload', ARGV[a],
    'status', 'pending', 'retry_count', '0', 'created_ts', createdTs,
    'picked_ts', '', 'completed_ts', '', 'available_after', '')
  rcall('LPUSH', KEYS[2 * i + 1], ARGV[a - 3])
end
rcall('ZADD', KEYS[1], 0, 'w')
return createdTs

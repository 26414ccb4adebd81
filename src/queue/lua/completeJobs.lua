--[[
  complete: settles one or more successful attempts in one call. A job is marked
  completed only if the caller still holds its lease (its token matches the one in
  the job's hash); a stale token (the lease expired and the job was recovered) is
  refused, so a job is never finished twice.

  KEYS[1]     in-flight set     <prefix>:inflight
  KEYS[1+i]   job i's hash      <prefix>:hash:<id>     (i = 1..n)

  ARGV[1]     retention of completed jobs, seconds (0 = keep forever)
  ARGV[2i]    job i's id
  ARGV[2i+1]  job i's lease token

  Output: { code1, ..., coden }
     1  completed
     0  lease not owned (stale token): nothing changed
]]
local rcall = redis.call
--- @include "time"

local inflightKey = KEYS[1]
local retention = tonumber(ARGV[1])
local completedTs = epochSeconds(nowMs())
local codes = {}

for i = 1, #KEYS - 1 do
  local id, token, jobKey = ARGV[2 * i], ARGV[2 * i + 1], KEYS[1 + i]
  if rcall('HGET', jobKey, 'lease_token') == token then
    rcall('ZREM', inflightKey, id)
    rcall('HSET', jobKey, 'status', 'completed', 'completed_ts', completedTs, 'lease_token', '')
    if retention > 0 then
      rcall('EXPIRE', jobKey, retention)
    end
    codes[i] = 1
  else
    codes[i] = 0
  end
end
return codes

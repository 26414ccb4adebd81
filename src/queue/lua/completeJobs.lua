--[[
  complete: settles one or more successful attempts in one call. A job is marked
  completed only if the caller still holds its lease (its token matches the one in
  the job's hash); a stale token (the lease expired and the job was recovered) is
  refused, so a job is never finished twice. A cancel request that came too late
  changes nothing: the attempt had finished.

  KEYS[1]     in-flight set        <prefix>:inflight
  KEYS[2]     events stream        <prefix>:events
  KEYS[3]     per-minute counts    <prefix>:stats:minutes
  KEYS[3+i]   job i's hash         <prefix>:hash:<id>     (i = 1..n)

  ARGV[1]     events stream length (0 = no events)
  ARGV[2]     retention of completed jobs, seconds (0 = keep forever)
  ARGV[4i-1..4i+2]  job i: id, lease token, job_type, priority

  Output: { code1, ..., coden }
     1  completed
     0  lease not owned (stale token): nothing changed
]]
local rcall = redis.call
--- @include "time"
--- @include "events"
--- @include "finish"
--- @include "minute"

local maxEvents, retention = tonumber(ARGV[1]), tonumber(ARGV[2])
local now = nowMs()
local ts = epochSeconds(now)
local codes = {}
local completed = 0

for i = 1, #KEYS - 3 do
  local a = 4 * i - 1
  local id, token, jobKey = ARGV[a], ARGV[a + 1], KEYS[3 + i]
  if rcall('HGET', jobKey, 'lease_token') == token then
    rcall('ZREM', KEYS[1], id)
    finishJob(jobKey, 'completed', ts, nil, nil, nil, retention)
    appendEvent(KEYS[2], maxEvents, 'completed', id, ARGV[a + 2], ARGV[a + 3], ts)
    completed = completed + 1
    codes[i] = 1
  else
    codes[i] = 0
  end
end
if completed > 0 then
  trimEvents(KEYS[2], maxEvents)
end
countPerMinute(KEYS[3], 'c', now, completed)
return codes

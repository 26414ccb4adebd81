--[[
  complete: settles one or more successful attempts in one call. A job is marked
  completed only if the caller still holds its lease (its token matches the one in
  the job's hash); a stale token (the lease expired and the job was recovered) is
  refused, so a job is never finished twice. A cancel request that came too late
  changes nothing: the attempt had finished.

  KEYS[1]     in-flight set        <prefix>:inflight
  KEYS[2]     unfinished index     <prefix>:index:unfinished
  KEYS[3]     completed index      <prefix>:index:completed
  KEYS[4]     events stream        <prefix>:events
  KEYS[5]     per-minute counts    <prefix>:stats:minutes
  KEYS[5+i]   job i's hash         <prefix>:hash:<id>     (i = 1..n)

  ARGV[1]     events stream length (0 = no events)
  ARGV[2]     retention of completed jobs, seconds (0 = keep forever)
  ARGV[5i-2..5i+2]  job i: id, lease token, index member, job_type, priority

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

for i = 1, #KEYS - 5 do
  local a = 5 * i - 2
  local id, token, jobKey = ARGV[a], ARGV[a + 1], KEYS[5 + i]
  local f = rcall('HMGET', jobKey, 'lease_token', 'created_ts')
  if f[1] == token then
    rcall('ZREM', KEYS[1], id)
    finishJob(jobKey, 'completed', ts, KEYS[2], KEYS[3], ARGV[a + 2], f[2], retention, {})
    emitEvent(KEYS[4], maxEvents, 'completed', id, ARGV[a + 3], ARGV[a + 4], ts)
    completed = completed + 1
    codes[i] = 1
  else
    codes[i] = 0
  end
end
countPerMinute(KEYS[5], 'c', now, completed)
return codes

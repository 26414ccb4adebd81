--[[
  fail-or-retry: settles a failed attempt. A job whose cancellation was requested
  while it ran ends cancelled. Otherwise, while retries remain and the failure is
  not permanent, the job goes to the delayed set with available_after = now +
  ARGV[6] and status pending; else it ends failed. Refused when the caller no
  longer holds the lease.

  KEYS[1] in-flight set        <prefix>:inflight
  KEYS[2] delayed set          <prefix>:delayed
  KEYS[3] job hash             <prefix>:hash:<id>
  KEYS[4] wake-up set          <prefix>:wake
  KEYS[5] failed index         <prefix>:index:failed
  KEYS[6] cancelled index      <prefix>:index:cancelled
  KEYS[7] events stream        <prefix>:events
  KEYS[8] per-minute counts    <prefix>:stats:minutes

  ARGV[1]  events stream length (0 = no events)
  ARGV[2]  job id
  ARGV[3]  lease token
  ARGV[4]  failure reason (stored as last_error)
  ARGV[5]  JOB_MAX_RETRIES
  ARGV[6]  backoff delay for this retry, ms
  ARGV[7]  "1" when the failure is permanent (no retry), else "0"
  ARGV[8]  retention of failed and cancelled jobs, seconds (0 = keep forever)
  ARGV[9]  index member
  ARGV[10] job_type
  ARGV[11] priority

  Output:
     1  retry scheduled
     2  failed for good
     3  cancelled (a cancel was requested during the attempt)
     0  lease not owned (stale token): nothing changed
]]
local rcall = redis.call
--- @include "time"
--- @include "events"
--- @include "finish"
--- @include "minute"

local jobKey, eventsKey = KEYS[3], KEYS[7]
local maxEvents, id, token, reason = tonumber(ARGV[1]), ARGV[2], ARGV[3], ARGV[4]
local jobType, priority = ARGV[10], ARGV[11]

local f = rcall('HMGET', jobKey, 'lease_token', 'retry_count', 'cancel_requested', 'created_ts')
if f[1] ~= token then
  return 0
end
rcall('ZREM', KEYS[1], id)

local now = nowMs()
local ts = epochSeconds(now)
local retention = tonumber(ARGV[8])

if f[3] == '1' then
  finishJob(jobKey, 'cancelled', ts, KEYS[6], ARGV[9], f[4], retention, { 'last_error', reason })
  emitEvent(eventsKey, maxEvents, 'cancelled', id, jobType, priority, ts)
  return 3
end

local retries = tonumber(f[2] or '0')
if ARGV[7] ~= '1' and retries < tonumber(ARGV[5]) then
  local availableAt = now + tonumber(ARGV[6])
  local availableAfter = epochSeconds(availableAt)
  rcall('HSET', jobKey, 'status', 'pending', 'retry_count', retries + 1, 'lease_token', '',
    'available_after', availableAfter, 'last_error', reason)
  rcall('ZADD', KEYS[2], availableAt, id)
  -- An idle worker may be sleeping past this retry's due time: make it look again.
  rcall('ZADD', KEYS[4], 0, 'w')
  emitEvent(eventsKey, maxEvents, 'retry_scheduled', id, jobType, priority, ts,
    'available_after', availableAfter, 'error', reason)
  return 1
end

finishJob(jobKey, 'failed', ts, KEYS[5], ARGV[9], f[4], retention, { 'last_error', reason })
emitEvent(eventsKey, maxEvents, 'failed', id, jobType, priority, ts, 'error', reason)
countPerMinute(KEYS[8], 'f', now, 1)
return 2

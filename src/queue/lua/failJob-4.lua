--[[
  fail-or-retry: settles a failed attempt. While retries remain (and the failure
  is not permanent) the job goes to the delayed set with available_after = now +
  ARGV[5] and status pending; otherwise it is marked failed. Refused when the
  caller no longer holds the lease.

  KEYS[1] in-flight set       <prefix>:inflight
  KEYS[2] delayed set         <prefix>:delayed
  KEYS[3] job hash            <prefix>:hash:<id>
  KEYS[4] wake-up set         <prefix>:wake

  ARGV[1] job id
  ARGV[2] lease token
  ARGV[3] failure reason (stored as last_error)
  ARGV[4] JOB_MAX_RETRIES
  ARGV[5] backoff delay for this retry, ms
  ARGV[6] "1" when the failure is permanent (no retry), else "0"
  ARGV[7] retention of failed jobs, seconds (0 = keep forever)

  Output:
     1  retry scheduled
     2  failed for good
     0  lease not owned (stale token): nothing changed
]]
local rcall = redis.call
--- @include "time"

local inflightKey, delayedKey, jobKey, wakeKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local id, token, reason = ARGV[1], ARGV[2], ARGV[3]

local f = rcall('HMGET', jobKey, 'lease_token', 'retry_count')
if f[1] ~= token then
  return 0
end
rcall('ZREM', inflightKey, id)

local now = nowMs()
local retries = tonumber(f[2] or '0')
if ARGV[6] ~= '1' and retries < tonumber(ARGV[4]) then
  local availableAt = now + tonumber(ARGV[5])
  rcall('HSET', jobKey, 'status', 'pending', 'retry_count', retries + 1, 'lease_token', '',
    'available_after', epochSeconds(availableAt), 'last_error', reason)
  rcall('ZADD', delayedKey, availableAt, id)
  -- An idle worker may be sleeping past this retry's due time: make it look again.
  rcall('ZADD', wakeKey, 0, 'w')
  return 1
end

rcall('HSET', jobKey, 'status', 'failed', 'completed_ts', epochSeconds(now), 'lease_token', '',
  'last_error', reason)
local retention = tonumber(ARGV[7])
if retention > 0 then
  rcall('EXPIRE', jobKey, retention)
end
return 2

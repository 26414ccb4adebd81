--[[
  retry: failed (or cancelled) jobs run again as new ones would: status pending,
  retry_count 0 (a full retry budget), last_error kept as history, queued at the
  back of their priority's ready list, out of their state's index (they stay in the
  all-jobs index). Jobs in any other state, or not matching the filters, are left
  alone.

  KEYS[1]     ready list, high     <prefix>:queue:high
  KEYS[2]     ready list, low      <prefix>:queue:low
  KEYS[3]     wake-up set          <prefix>:wake
  KEYS[4]     failed index         <prefix>:index:failed
  KEYS[5]     cancelled index      <prefix>:index:cancelled
  KEYS[6]     events stream        <prefix>:events
  KEYS[6+i]   job i's hash         <prefix>:hash:<id>     (i = 1..n)

  ARGV[1]     events stream length (0 = no events)
  ARGV[2]     "1" when cancelled jobs may be retried too, else only failed ones
  ARGV[3]     only this job_type ('' = any)
  ARGV[4]     only this priority ('' = any)
  ARGV[4+i]   job i's id

  Output: { code1, ..., coden }: 1 retried, 0 not retryable (state or filter), -1 no such job
]]
local rcall = redis.call
--- @include "time"
--- @include "events"
--- @include "indexMember"

local maxEvents, withCancelled, onlyType, onlyPriority =
  tonumber(ARGV[1]), ARGV[2] == '1', ARGV[3], ARGV[4]
local ts = epochSeconds(nowMs())
local codes = {}
local retried = 0

for i = 1, #KEYS - 6 do
  local jobKey, id = KEYS[6 + i], ARGV[4 + i]
  local f = rcall('HMGET', jobKey, 'status', 'priority', 'job_type', 'payload')
  if not f[1] then
    codes[i] = -1
  elseif (f[1] == 'failed' or (withCancelled and f[1] == 'cancelled'))
      and (onlyType == '' or f[3] == onlyType) and (onlyPriority == '' or f[2] == onlyPriority) then
    local member = indexMember(id, f[4])
    rcall('HSET', jobKey, 'status', 'pending', 'retry_count', '0', 'picked_ts', '',
      'completed_ts', '', 'available_after', '', 'lease_token', '')
    rcall('HDEL', jobKey, 'stall_count', 'cancel_requested')
    rcall('PERSIST', jobKey)
    if f[2] == 'high' then
      rcall('LPUSH', KEYS[1], id)
    else
      rcall('LPUSH', KEYS[2], id)
    end
    if f[1] == 'failed' then
      rcall('ZREM', KEYS[4], member)
    else
      rcall('ZREM', KEYS[5], member)
    end
    emitEvent(KEYS[6], maxEvents, 'retried', id, f[3], f[2], ts)
    retried = retried + 1
    codes[i] = 1
  else
    codes[i] = 0
  end
end
if retried > 0 then
  rcall('ZADD', KEYS[3], 0, 'w')
end
return codes

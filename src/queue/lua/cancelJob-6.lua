--[[
  cancel: a pending job (ready, scheduled or waiting for a retry) leaves its queue
  at once and ends cancelled; it never runs. A processing job is marked
  cancel_requested and its worker is told over the control channel: it aborts the
  attempt, and the job ends cancelled when the attempt settles (fail-or-retry) or
  its lease is recovered. A finished job cannot be cancelled.

  KEYS[1] job hash             <prefix>:hash:<id>
  KEYS[2] ready list, high     <prefix>:queue:high
  KEYS[3] ready list, low      <prefix>:queue:low
  KEYS[4] delayed set          <prefix>:delayed
  KEYS[5] cancelled index      <prefix>:index:cancelled
  KEYS[6] events stream        <prefix>:events

  ARGV[1] events stream length (0 = no events)
  ARGV[2] job id
  ARGV[3] retention of cancelled jobs, seconds (0 = keep forever)
  ARGV[4] control channel      <prefix>:control

  Output:
     1  cancelled
     2  cancel requested (the job is processing)
     0  not cancellable (already completed, failed or cancelled)
    -1  no such job
]]
local rcall = redis.call
--- @include "time"
--- @include "events"
--- @include "finish"
--- @include "indexMember"

local jobKey, id = KEYS[1], ARGV[2]
local f = rcall('HMGET', jobKey, 'status', 'priority', 'job_type', 'created_ts', 'payload')
if not f[1] then
  return -1
end
if f[1] == 'processing' then
  rcall('HSET', jobKey, 'cancel_requested', '1')
  rcall('PUBLISH', ARGV[4], 'cancel ' .. id)
  return 2
end
if f[1] ~= 'pending' then
  return 0
end
if rcall('ZREM', KEYS[4], id) == 0 then
  if f[2] == 'high' then
    rcall('LREM', KEYS[2], 1, id)
  else
    rcall('LREM', KEYS[3], 1, id)
  end
end
local ts = epochSeconds(nowMs())
finishJob(jobKey, 'cancelled', ts, KEYS[5], indexMember(id, f[5]), f[4], tonumber(ARGV[3]))
emitEvent(KEYS[6], tonumber(ARGV[1]), 'cancelled', id, f[3], f[2], ts)
return 1

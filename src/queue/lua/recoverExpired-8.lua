--[[
  recover-expired: jobs whose lease deadline has passed belong to a worker that
  died or hung. Their lease is revoked (so that worker can no longer settle them)
  and each one's stall_count goes up. A job goes back to the consuming end of its
  ready list to run again, unless its worker was lost more than ARGV[4] times (it
  ends failed, "stalled: ...": a job that kills every worker must not loop
  forever) or its cancellation was requested (it ends cancelled). A stall does not
  use up a retry.

  KEYS[1] in-flight set        <prefix>:inflight
  KEYS[2] ready list, high     <prefix>:queue:high
  KEYS[3] ready list, low      <prefix>:queue:low
  KEYS[4] wake-up set          <prefix>:wake
  KEYS[5] failed index         <prefix>:index:failed
  KEYS[6] cancelled index      <prefix>:index:cancelled
  KEYS[7] events stream        <prefix>:events
  KEYS[8] per-minute counts    <prefix>:stats:minutes

  ARGV[1] job hash key prefix  <prefix>:hash:   (ids are only known once read)
  ARGV[2] most jobs to recover in this call
  ARGV[3] events stream length (0 = no events)
  ARGV[4] JOB_MAX_STALLS
  ARGV[5] retention of failed and cancelled jobs, seconds (0 = keep forever)

  Output: { id1, outcome1, stall_count1, id2, ... }, outcome: requeued | failed | cancelled
]]
local rcall = redis.call
--- @include "time"
--- @include "events"
--- @include "finish"
--- @include "indexMember"
--- @include "minute"

local maxEvents, maxStalls, retention = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local now = nowMs()
local ts = epochSeconds(now)
local expired = rcall('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))
local out = {}
local requeued, failed = 0, 0

for _, id in ipairs(expired) do
  rcall('ZREM', KEYS[1], id)
  local jobKey = ARGV[1] .. id
  local f = rcall('HMGET', jobKey, 'priority', 'job_type', 'stall_count', 'cancel_requested',
    'created_ts', 'payload')
  -- A job whose hash is gone (removed by hand) has nothing to run.
  if f[1] then
    local stalls = tonumber(f[3] or '0') + 1
    emitEvent(KEYS[7], maxEvents, 'stalled', id, f[2], f[1], ts, 'stall_count', stalls)
    local outcome
    if f[4] == '1' then
      outcome = 'cancelled'
      finishJob(jobKey, 'cancelled', ts, KEYS[6], indexMember(id, f[6]), f[5], retention,
        { 'stall_count', stalls })
      emitEvent(KEYS[7], maxEvents, 'cancelled', id, f[2], f[1], ts)
    elseif stalls > maxStalls then
      outcome = 'failed'
      local reason = 'stalled: its worker was lost ' .. stalls .. ' times (JOB_MAX_STALLS=' ..
        maxStalls .. ')'
      finishJob(jobKey, 'failed', ts, KEYS[5], indexMember(id, f[6]), f[5], retention,
        { 'stall_count', stalls, 'last_error', reason })
      emitEvent(KEYS[7], maxEvents, 'failed', id, f[2], f[1], ts, 'error', reason)
      failed = failed + 1
    else
      outcome = 'requeued'
      rcall('HSET', jobKey, 'status', 'pending', 'lease_token', '', 'stall_count', stalls)
      if f[1] == 'high' then
        rcall('RPUSH', KEYS[2], id)
      else
        rcall('RPUSH', KEYS[3], id)
      end
      requeued = requeued + 1
    end
    out[#out + 1] = id
    out[#out + 1] = outcome
    out[#out + 1] = stalls
  end
end
if requeued > 0 then
  rcall('ZADD', KEYS[4], 0, 'w')
end
countPerMinute(KEYS[8], 'f', now, failed)
return out

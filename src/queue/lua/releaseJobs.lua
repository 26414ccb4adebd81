--[[
  release: a worker hands back jobs it holds but will not finish: at shutdown, those
  still running after its shutdown timeout and those it claimed ahead and had not
  started; while running, jobs it claimed ahead that found no free slot in time.
  Each job whose lease the caller still holds goes back to the consuming end of its
  ready list (status pending, event `released`), to run next elsewhere; one whose
  cancellation was requested ends cancelled instead. Not a stall, and not an
  attempt: the worker said goodbye.

  KEYS[1]     in-flight set        <prefix>:inflight
  KEYS[2]     ready list, high     <prefix>:queue:high
  KEYS[3]     ready list, low      <prefix>:queue:low
  KEYS[4]     wake-up set          <prefix>:wake
  KEYS[5]     cancelled index      <prefix>:index:cancelled
  KEYS[6]     events stream        <prefix>:events
  KEYS[6+i]   job i's hash         <prefix>:hash:<id>     (i = 1..n)

  ARGV[1]     events stream length (0 = no events)
  ARGV[2]     retention of cancelled jobs, seconds (0 = keep forever)
  ARGV[3i..3i+2]  job i: id, lease token, index member

  Output: number of jobs handed back to the queue
]]
local rcall = redis.call
--- @include "time"
--- @include "events"
--- @include "finish"

local maxEvents, retention = tonumber(ARGV[1]), tonumber(ARGV[2])
local released = 0
local ts = epochSeconds(nowMs())
-- Last to first: each goes to the consuming end, so the jobs keep their order there.
for i = #KEYS - 6, 1, -1 do
  local id, token, jobKey = ARGV[3 * i], ARGV[3 * i + 1], KEYS[6 + i]
  local f = rcall('HMGET', jobKey, 'lease_token', 'priority', 'job_type', 'cancel_requested',
    'created_ts')
  if f[1] == token then
    rcall('ZREM', KEYS[1], id)
    if f[4] == '1' then
      finishJob(jobKey, 'cancelled', ts, KEYS[5], ARGV[3 * i + 2], f[5], retention)
      emitEvent(KEYS[6], maxEvents, 'cancelled', id, f[3], f[2], ts)
    else
      rcall('HSET', jobKey, 'status', 'pending', 'lease_token', '')
      appendEvent(KEYS[6], maxEvents, 'released', id, f[3], f[2], ts)
      if f[2] == 'high' then
        rcall('RPUSH', KEYS[2], id)
      else
        rcall('RPUSH', KEYS[3], id)
      end
      released = released + 1
    end
  end
end
if released > 0 then
  trimEvents(KEYS[6], maxEvents)
  rcall('ZADD', KEYS[4], 0, 'w')
end
return released

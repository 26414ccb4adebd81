--[[
  claim: promotes due jobs (retries and scheduled jobs), then takes up to ARGV[2]
  ready jobs, strictly high before low, FIFO within a priority. In the same atomic
  step each taken job is marked processing, given a lease token (stored in its
  hash) and put in the in-flight set scored by its lease deadline: a worker killed
  at any instant loses nothing (an expired lease is recovered by recover-expired).

  A rate-limited job type (ARGV[7]) starts at most ARGV[8] attempts per ARGV[9] ms,
  across every worker, evenly spaced: GCRA with an emission interval T = ARGV[9] /
  ARGV[8] ms and a tolerance of ARGV[10] ms, its state (the theoretical arrival
  time) in KEYS[7]; k starts span at least (k - 1) T - tolerance ms. A claim
  reserves the slots of the next ARGV[11] ms: each such job is claimed with the delay
  until its slot (picked_ts is that start), which the worker waits before running
  it, so one claim serves several slots. While the list's next job is of that type
  and its slot lies further ahead, claiming from that list stops (nothing is popped:
  the jobs keep their order) and the caller learns when to look again instead of
  polling. With a rate-limited type configured, jobs are taken one at a time
  (looked at before they are popped).

  KEYS[1] ready list, high     <prefix>:queue:high
  KEYS[2] ready list, low      <prefix>:queue:low
  KEYS[3] delayed set          <prefix>:delayed
  KEYS[4] in-flight set        <prefix>:inflight
  KEYS[5] wake-up set          <prefix>:wake
  KEYS[6] events stream        <prefix>:events
  KEYS[7] rate state           <prefix>:throttle:<job type>   (unused without ARGV[7])

  ARGV[1] job hash key prefix  <prefix>:hash:   (ids are only known once popped; the
                                                 hashes share the queue's hash tag)
  ARGV[2] most jobs to claim (free slots of the worker)
  ARGV[3] lease duration, ms
  ARGV[4] lease token prefix, unique per call (worker id and call sequence)
  ARGV[5] most due jobs to promote in this call
  ARGV[6] events stream length (0 = no events)
  ARGV[7] rate-limited job type ('' = none)
  ARGV[8] attempts of that type allowed per period
  ARGV[9] period, ms
  ARGV[10] tolerance, ms (how early a start may come after a late one)
  ARGV[11] reservation horizon, ms

  Output: { nextDueInMs, throttledForMs,
            id1, token1, job_type1, payload1, retry_count1, priority1, ready_since1, delay1, id2, ... }
    nextDueInMs:    ms until the earliest delayed job is due, or -1 if none
    throttledForMs: ms until the rate-limited type may start again, or -1 if not held back
    ready_since:    epoch seconds the attempt became due (its run_at or retry time, else created_ts)
    delay:          ms to wait before starting the attempt (its reserved slot; 0 unless rate-limited)
]]
local rcall = redis.call
--- @include "time"
--- @include "events"
--- @include "promoteDue"

local highKey, lowKey, delayedKey, inflightKey, wakeKey, eventsKey, rateKey =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]
local hashPrefix, maxJobs, leaseMs, tokenPrefix = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local maxEvents, limitedType = tonumber(ARGV[6]), ARGV[7]

local now = nowMs()
promoteDue(delayedKey, highKey, lowKey, hashPrefix, now, tonumber(ARGV[5]))

local limited = limitedType ~= ''
local interval, tolerance, horizon, tat = 0, 0, 0, 0
if limited then
  interval, tolerance, horizon = tonumber(ARGV[9]) / tonumber(ARGV[8]), tonumber(ARGV[10]),
    tonumber(ARGV[11])
  tat = tonumber(rcall('GET', rateKey) or '0')
end
local tatBefore = tat

local out = { -1, -1 }
local n = 2
local claimed = 0
local throttled = false
local deadline = now + leaseMs
local nowTs = epochSeconds(now)

-- Marks one popped job processing under a new lease; false when it has nothing to run
-- (its hash is gone, removed by hand, or it is not pending).
local function claim(id, delay)
  local jobKey = hashPrefix .. id
  local f = rcall('HMGET', jobKey, 'job_type', 'payload', 'retry_count', 'priority', 'status',
    'created_ts', 'available_after')
  if not f[1] or f[5] ~= 'pending' then
    return false
  end
  claimed = claimed + 1
  local token = tokenPrefix .. ':' .. claimed
  local pickedTs = nowTs
  if delay > 0 then
    pickedTs = epochSeconds(now + delay)
  end
  rcall('HSET', jobKey, 'status', 'processing', 'picked_ts', pickedTs, 'lease_token', token)
  rcall('ZADD', inflightKey, deadline + delay, id)
  local readySince = f[7]
  if not readySince or readySince == '' then
    readySince = f[6]
  end
  local retries = tonumber(f[3]) or 0
  appendEvent(eventsKey, maxEvents, 'processing', id, f[1], f[4], pickedTs, 'attempt', retries + 1)
  out[n + 1], out[n + 2], out[n + 3], out[n + 4] = id, token, f[1], f[2]
  out[n + 5], out[n + 6], out[n + 7], out[n + 8] = retries, f[4], readySince, delay
  n = n + 8
  return true
end

for _, listKey in ipairs({ highKey, lowKey }) do
  if not limited then
    -- No rate limit: the free slots' worth at once.
    if claimed < maxJobs then
      for _, id in ipairs(rcall('RPOP', listKey, maxJobs - claimed) or {}) do
        claim(id, 0)
      end
    end
  else
    while claimed < maxJobs do
      local id = rcall('LINDEX', listKey, -1)
      if not id then
        break
      end
      local delay = 0
      if rcall('HGET', hashPrefix .. id, 'job_type') == limitedType then
        local start = math.max(now, tat - tolerance)
        if start - now > horizon then
          -- Look again when half the horizon is free again.
          local wait = math.max(1, math.ceil(start - now - horizon / 2))
          if out[2] < 0 or wait < out[2] then
            out[2] = wait
          end
          throttled = true
          break
        end
        delay = math.ceil(start - now)
        tat = math.max(tat, start) + interval
      end
      rcall('RPOP', listKey)
      claim(id, delay)
    end
  end
end

if claimed > 0 then
  trimEvents(eventsKey, maxEvents)
end

if tat ~= tatBefore then
  rcall('SET', rateKey, string.format('%.3f', tat), 'PX', math.ceil(tat - now) + 1000)
end

-- Pass the baton: work is left for another idle worker (not when it is held back by
-- the rate limit: a woken worker could not start it either).
if claimed > 0 and not throttled and (rcall('LLEN', highKey) > 0 or rcall('LLEN', lowKey) > 0) then
  rcall('ZADD', wakeKey, 0, 'w')
end

local nextDue = rcall('ZRANGE', delayedKey, 0, 0, 'WITHSCORES')
if nextDue[2] then
  out[1] = math.max(1, tonumber(nextDue[2]) - now)
end
return out

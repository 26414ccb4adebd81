--[[
  claim: promotes due retries, then takes up to ARGV[2] ready jobs, strictly high
  before low, FIFO within a priority. In the same atomic step each taken job is
  marked processing, given a lease token (stored in its hash) and put in the
  in-flight set scored by its lease deadline: a worker killed at any instant loses
  nothing (an expired lease is recovered by recover-expired).

  KEYS[1] ready list, high     <prefix>:queue:high
  KEYS[2] ready list, low      <prefix>:queue:low
  KEYS[3] delayed set          <prefix>:delayed
  KEYS[4] in-flight set        <prefix>:inflight
  KEYS[5] wake-up set          <prefix>:wake

  ARGV[1] job hash key prefix  <prefix>:hash:   (ids are only known once popped;
                                                 see docs/how-it-works.md on cluster)
  ARGV[2] most jobs to claim (free slots of the worker)
  ARGV[3] lease duration, ms
  ARGV[4] lease token prefix, unique per call (worker id and call sequence)
  ARGV[5] most due retries to promote in this call

  Output: { nextDueInMs, id1, token1, job_type1, payload1, retry_count1, priority1, id2, ... }
    nextDueInMs: ms until the earliest delayed job is due, or -1 if none
]]
local rcall = redis.call
--- @include "time"
--- @include "promoteDue"

local highKey, lowKey, delayedKey, inflightKey, wakeKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local hashPrefix, maxJobs, leaseMs, tokenPrefix = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]

local now = nowMs()
promoteDue(delayedKey, highKey, lowKey, hashPrefix, now, tonumber(ARGV[5]))

local out = { -1 }
local claimed = 0
local deadline = now + leaseMs
local pickedTs = epochSeconds(now)

for _, listKey in ipairs({ highKey, lowKey }) do
  if claimed < maxJobs then
    local ids = rcall('RPOP', listKey, maxJobs - claimed)
    if ids then
      for _, id in ipairs(ids) do
        local jobKey = hashPrefix .. id
        local f = rcall('HMGET', jobKey, 'job_type', 'payload', 'retry_count', 'priority')
        -- A popped id whose hash is gone (removed by hand) has nothing to run.
        if f[1] then
          claimed = claimed + 1
          local token = tokenPrefix .. ':' .. claimed
          rcall('HSET', jobKey, 'status', 'processing', 'picked_ts', pickedTs, 'lease_token', token)
          rcall('ZADD', inflightKey, deadline, id)
          out[#out + 1] = id
          out[#out + 1] = token
          out[#out + 1] = f[1]
          out[#out + 1] = f[2]
          out[#out + 1] = f[3]
          out[#out + 1] = f[4]
        end
      end
    end
  end
end

-- Pass the baton: work is left for another idle worker.
if claimed > 0 and (rcall('LLEN', highKey) > 0 or rcall('LLEN', lowKey) > 0) then
  rcall('ZADD', wakeKey, 0, 'w')
end

local nextDue = rcall('ZRANGE', delayedKey, 0, 0, 'WITHSCORES')
if nextDue[2] then
  out[1] = math.max(1, tonumber(nextDue[2]) - now)
end
return out

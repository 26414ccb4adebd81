--[[
  recover-expired: jobs whose lease deadline has passed belong to a worker that
  died or stalled. Their lease is revoked (so that worker can no longer settle
  them) and they go back to the consuming end of their ready list to run again.

  KEYS[1] in-flight set        <prefix>:inflight
  KEYS[2] ready list, high     <prefix>:queue:high
  KEYS[3] ready list, low      <prefix>:queue:low
  KEYS[4] wake-up set          <prefix>:wake

  ARGV[1] job hash key prefix  <prefix>:hash:   (ids are only known once read)
  ARGV[2] most jobs to recover in this call

  Output: { ids recovered }
]]
local rcall = redis.call
--- @include "time"
--- @include "requeue"

local expired = rcall('ZRANGEBYSCORE', KEYS[1], '-inf', nowMs(), 'LIMIT', 0, tonumber(ARGV[2]))
local recovered = {}
for _, id in ipairs(expired) do
  rcall('ZREM', KEYS[1], id)
  if requeue(ARGV[1] .. id, KEYS[2], KEYS[3], id) == 1 then
    recovered[#recovered + 1] = id
  end
end
if #recovered > 0 then
  rcall('ZADD', KEYS[4], 0, 'w')
end
return recovered

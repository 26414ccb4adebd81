--[[
  rate limit: GCRA (generic cell rate algorithm). A caller may send ARGV[2]
  requests in any ARGV[1] ms: a full burst at once, then one per ARGV[1]/ARGV[2] ms.
  One key per caller holding its "theoretical arrival time"; shared by every API
  instance, so a limit holds behind a load balancer. No window boundary at which
  the budget resets all at once.

  KEYS[1] caller's state       <prefix>:ratelimit:<principal hash>

  ARGV[1] period, ms (60000: a limit per minute)
  ARGV[2] requests allowed per period

  Output: { allowed (1 | 0), ms until the next request would be allowed, requests left now }
]]
local rcall = redis.call
--- @include "time"

local now = nowMs()
local period, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
local interval = period / limit
local tat = tonumber(rcall('GET', KEYS[1]) or '0')
if tat < now then
  tat = now
end
local newTat = tat + interval
local allowAt = newTat - period
if allowAt > now then
  return { 0, math.ceil(allowAt - now), 0 }
end
rcall('SET', KEYS[1], string.format('%.3f', newTat), 'PX', math.ceil(newTat - now))
return { 1, 0, math.floor((period - (newTat - now)) / interval) }

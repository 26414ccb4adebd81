--[[
  heartbeat: extends every lease a worker holds, in one call. A lease whose token
  no longer matches (it expired and the job was recovered) is not extended and its
  token is returned, so the worker can stop that attempt; so is the token of an
  attempt whose cancellation was requested (a fallback for a missed cancel message).

  KEYS[1]     in-flight set     <prefix>:inflight
  KEYS[1+i]   job i's hash      <prefix>:hash:<id>     (i = 1..n)

  ARGV[1]     lease duration, ms
  ARGV[2i]    job i's id
  ARGV[2i+1]  job i's lease token

  Output: { { lease tokens no longer owned }, { tokens whose job is to be cancelled } }
]]
local rcall = redis.call
--- @include "time"

local deadline = nowMs() + tonumber(ARGV[1])
local lost, cancel = {}, {}
for i = 1, #KEYS - 1 do
  local id, token = ARGV[2 * i], ARGV[2 * i + 1]
  local f = rcall('HMGET', KEYS[1 + i], 'lease_token', 'cancel_requested')
  if f[1] == token then
    rcall('ZADD', KEYS[1], 'XX', deadline, id)
    if f[2] == '1' then
      cancel[#cancel + 1] = token
    end
  else
    lost[#lost + 1] = token
  end
end
return { lost, cancel }

--[[
  release: a stopping worker hands back jobs it could not finish within its
  shutdown timeout. Each job whose lease the caller still holds goes back to the
  consuming end of its ready list (status pending), to run next elsewhere.

  KEYS[1] in-flight set        <prefix>:inflight
  KEYS[2] lease tokens         <prefix>:leases
  KEYS[3] ready list, high     <prefix>:queue:high
  KEYS[4] ready list, low      <prefix>:queue:low
  KEYS[5] wake-up set          <prefix>:wake

  ARGV[1]     job hash key prefix  <prefix>:hash:
  ARGV[2i]    job i's id
  ARGV[2i+1]  job i's lease token

  Output: number of jobs handed back
]]
local rcall = redis.call
--- @include "requeue"

local released = 0
for i = 2, #ARGV, 2 do
  local id, token = ARGV[i], ARGV[i + 1]
  if rcall('HGET', KEYS[2], id) == token then
    rcall('ZREM', KEYS[1], id)
    rcall('HDEL', KEYS[2], id)
    released = released + requeue(ARGV[1], KEYS[3], KEYS[4], id)
  end
end
if released > 0 then
  rcall('ZADD', KEYS[5], 0, 'w')
end
return released

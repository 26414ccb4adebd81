--[[
  release: a stopping worker hands back jobs it could not finish within its
  shutdown timeout. Each job whose lease the caller still holds goes back to the
  consuming end of its ready list (status pending), to run next elsewhere.

  KEYS[1]     in-flight set        <prefix>:inflight
  KEYS[2]     ready list, high     <prefix>:queue:high
  KEYS[3]     ready list, low      <prefix>:queue:low
  KEYS[4]     wake-up set          <prefix>:wake
  KEYS[4+i]   job i's hash         <prefix>:hash:<id>     (i = 1..n)

  ARGV[2i-1]  job i's id
  ARGV[2i]    job i's lease token

  Output: number of jobs handed back
]]
local rcall = redis.call
--- @include "requeue"

local released = 0
for i = 1, #KEYS - 4 do
  local id, token, jobKey = ARGV[2 * i - 1], ARGV[2 * i], KEYS[4 + i]
  if rcall('HGET', jobKey, 'lease_token') == token then
    rcall('ZREM', KEYS[1], id)
    released = released + requeue(jobKey, KEYS[2], KEYS[3], id)
  end
end
if released > 0 then
  rcall('ZADD', KEYS[4], 0, 'w')
end
return released

--[[
  worker presence: a worker process registers itself and refreshes its entry with
  each heartbeat (`up`), and removes it when it stops (`down`). A worker that dies
  disappears when its hash expires (two lease periods) and is dropped from the set
  by the next heartbeat of any worker.

  KEYS[1] live workers          <prefix>:workers
  KEYS[2] this worker           <prefix>:worker:<id>

  ARGV[1] up | down
  ARGV[2] worker id
  ARGV[3] how long the entry lives without a heartbeat, ms
  ARGV[4..] up: field, value pairs (host, pid, concurrency, active, started_ts)

  Output: 1
]]
local rcall = redis.call
--- @include "time"

local now = nowMs()
if ARGV[1] == 'down' then
  rcall('DEL', KEYS[2])
  rcall('ZREM', KEYS[1], ARGV[2])
  return 1
end
local ttl = tonumber(ARGV[3])
local fields = {}
for i = 4, #ARGV do
  fields[#fields + 1] = ARGV[i]
end
rcall('HSET', KEYS[2], 'id', ARGV[2], 'last_seen_ts', epochSeconds(now), unpack(fields))
rcall('PEXPIRE', KEYS[2], ttl)
rcall('ZADD', KEYS[1], now, ARGV[2])
rcall('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - ttl)
return 1

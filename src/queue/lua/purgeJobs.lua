--[[
  purge: deletes finished jobs of one state that finished at or before a cutoff:
  hash, listing-index entries and recipient-index entry together. Index entries
  whose hash already expired are dropped as well. Called in chunks of one index, so
  it never holds Redis for long.

  KEYS[1]     all-jobs index           <prefix>:index:all
  KEYS[2]     the state's index        <prefix>:index:<failed | cancelled> (the all-jobs
                                       index again for completed)
  KEYS[2i+1]  job i's hash             <prefix>:hash:<id>     (i = 1..n)
  KEYS[2i+2]  job i's recipient bucket <prefix>:index:to:<n>  (its hash key when none)

  ARGV[1]     the state
  ARGV[2]     cutoff: only jobs with completed_ts at or before it, epoch ms
  ARGV[2i+1]  job i's index member
  ARGV[2i+2]  job i's recipient-bucket entry ('' = none)

  Output: { deleted, stale index entries removed }
]]
local rcall = redis.call

local state, cutoff = ARGV[1], tonumber(ARGV[2])
local deleted, stale = 0, 0
for i = 1, (#KEYS - 2) / 2 do
  local jobKey, member, entry = KEYS[2 * i + 1], ARGV[2 * i + 1], ARGV[2 * i + 2]
  local f = rcall('HMGET', jobKey, 'status', 'completed_ts')
  local remove = false
  if not f[1] then
    remove = true
    stale = stale + 1
  elseif f[1] == state and f[2] and f[2] ~= '' and tonumber(f[2]) * 1000 <= cutoff then
    rcall('DEL', jobKey)
    remove = true
    deleted = deleted + 1
  end
  if remove then
    rcall('ZREM', KEYS[1], member)
    rcall('ZREM', KEYS[2], member)
    if entry ~= '' then
      rcall('LREM', KEYS[2 * i + 2], -1, entry)
    end
  end
end
return { deleted, stale }

-- Creates n jobs, all or none. Job i's hash and ready list are
-- KEYS[firstKey + 2(i-1)] and KEYS[firstKey + 2(i-1) + 1]; its id, job_type,
-- priority and payload are ARGV[firstArg + 4(i-1)] .. ARGV[firstArg + 4(i-1) + 3].
-- Returns created_ts, or nil when one of the ids already exists (nothing written).
local function createJobs(firstKey, firstArg, n, wakeKey)
  for i = 0, n - 1 do
    if rcall('EXISTS', KEYS[firstKey + 2 * i]) == 1 then
      return nil
    end
  end
  local createdTs = epochSeconds(nowMs())
  for i = 0, n - 1 do
    local k, a = firstKey + 2 * i, firstArg + 4 * i
    rcall('HSET', KEYS[k],
      'job_id', ARGV[a], 'job_type', ARGV[a + 1], 'priority', ARGV[a + 2], 'payload', ARGV[a + 3],
      'status', 'pending', 'retry_count', '0', 'created_ts', createdTs,
      'picked_ts', '', 'completed_ts', '', 'available_after', '')
    rcall('LPUSH', KEYS[k + 1], ARGV[a])
  end
  rcall('ZADD', wakeKey, 0, 'w')
  return createdTs
end

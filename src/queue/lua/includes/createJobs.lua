--- @include "time"
--- @include "events"
-- Creates n jobs, all or none. Shared keys (KEYS[1..4]): wake-up set, delayed set,
-- all-jobs index, events stream. Job i's keys start at KEYS[firstKey + 3(i-1)]:
-- its hash, its ready list, its recipient-index bucket (its hash again when it has
-- no recipient). Its arguments start at ARGV[firstArg + 7(i-1)]: id, job_type,
-- priority, payload (JSON), index member, due ('' = now, '+<ms>' = after a delay,
-- '@<epoch ms>' = at that time; a time in the past means now), recipient-index
-- entry ('' = none).
-- A job due later waits in the delayed set with available_after set; the others
-- are LPUSHed onto their ready list. Returns created_ts, or nil when one of the
-- ids already exists (nothing written).
local function createJobs(firstKey, firstArg, n, maxEvents)
  for i = 0, n - 1 do
    if rcall('EXISTS', KEYS[firstKey + 3 * i]) == 1 then
      return nil
    end
  end
  local now = nowMs()
  local createdTs = epochSeconds(now)
  for i = 0, n - 1 do
    local k, a = firstKey + 3 * i, firstArg + 7 * i
    local id, jobType, priority, due = ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 5]
    local dueMs = now
    if due ~= '' then
      local value = tonumber(string.sub(due, 2))
      if string.sub(due, 1, 1) == '+' then
        dueMs = now + value
      else
        dueMs = value
      end
    end
    local availableAfter = ''
    if dueMs > now then
      availableAfter = epochSeconds(dueMs)
      rcall('ZADD', KEYS[2], dueMs, id)
    else
      rcall('LPUSH', KEYS[k + 1], id)
    end
    rcall('HSET', KEYS[k], 'job_id', id, 'job_type', jobType, 'priority', priority,
      'payload', ARGV[a + 3], 'status', 'pending', 'retry_count', '0', 'created_ts', createdTs,
      'picked_ts', '', 'completed_ts', '', 'available_after', availableAfter)
    rcall('ZADD', KEYS[3], now, ARGV[a + 4])
    if ARGV[a + 6] ~= '' then
      rcall('LPUSH', KEYS[k + 2], ARGV[a + 6])
    end
    if availableAfter == '' then
      appendEvent(KEYS[4], maxEvents, 'submitted', id, jobType, priority, createdTs)
    else
      appendEvent(KEYS[4], maxEvents, 'submitted', id, jobType, priority, createdTs,
        'available_after', availableAfter)
    end
  end
  trimEvents(KEYS[4], maxEvents)
  rcall('ZADD', KEYS[1], 0, 'w')
  return createdTs
end

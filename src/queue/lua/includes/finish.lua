--- @include "createdScore"
-- Ends a job in a finished state (completed, failed or cancelled): its lease and
-- next-attempt time are cleared, and its hash expires after the state's retention
-- (0 = kept forever). A failed or cancelled job also enters its state's listing
-- index (`stateIndexKey`); a completed one is listed from the all-jobs index by its
-- status, so the hot path (completion) touches no index. `fields` (optional) are
-- extra hash fields to set (e.g. last_error), as a flat list.
local function finishJob(jobKey, state, ts, stateIndexKey, member, createdTs, retentionS, fields)
  if fields then
    rcall('HSET', jobKey, 'status', state, 'completed_ts', ts, 'available_after', '',
      'lease_token', '', unpack(fields))
  else
    rcall('HSET', jobKey, 'status', state, 'completed_ts', ts, 'available_after', '',
      'lease_token', '')
  end
  if stateIndexKey then
    rcall('ZADD', stateIndexKey, createdScore(createdTs), member)
  end
  if retentionS > 0 then
    rcall('EXPIRE', jobKey, retentionS)
  end
end

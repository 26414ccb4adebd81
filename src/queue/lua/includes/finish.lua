--- @include "createdScore"
-- Ends a job in a finished state (completed, failed or cancelled): its lease and
-- next-attempt time are cleared, it moves from the unfinished index to the state's
-- index, and its hash expires after the state's retention (0 = kept forever).
-- `fields` are extra hash fields to set (e.g. last_error), as a flat list.
local function finishJob(jobKey, state, ts, unfinishedKey, finishedKey, member, createdTs,
                         retentionS, fields)
  rcall('HSET', jobKey, 'status', state, 'completed_ts', ts, 'available_after', '',
    'lease_token', '', unpack(fields))
  rcall('ZREM', unfinishedKey, member)
  rcall('ZADD', finishedKey, createdScore(createdTs), member)
  if retentionS > 0 then
    rcall('EXPIRE', jobKey, retentionS)
  end
end

-- Appends one job event to the events stream, in the same script as the change it
-- reports (no event without its change, no change without its event). Trimmed
-- approximately to maxLen entries; maxLen 0 turns events off (EVENTS_ENABLED=false).
-- Extra fields (attempt, available_after, error) follow as name, value pairs.
local function emitEvent(streamKey, maxLen, name, id, jobType, priority, ts, ...)
  if maxLen > 0 then
    rcall('XADD', streamKey, 'MAXLEN', '~', maxLen, '*', 'event', name, 'job_id', id,
      'job_type', jobType, 'priority', priority, 'ts', ts, ...)
  end
end

-- The same for scripts that write an event per job of a batch (submit, claim,
-- complete): appended without trimming, then trimEvents once at the end of the
-- script (a third of an event's cost is its trim check).
local function appendEvent(streamKey, maxLen, name, id, jobType, priority, ts, ...)
  if maxLen > 0 then
    rcall('XADD', streamKey, '*', 'event', name, 'job_id', id, 'job_type', jobType,
      'priority', priority, 'ts', ts, ...)
  end
end

local function trimEvents(streamKey, maxLen)
  if maxLen > 0 then
    rcall('XTRIM', streamKey, 'MAXLEN', '~', maxLen)
  end
end

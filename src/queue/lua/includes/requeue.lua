-- Puts a job back at the consuming (right) end of its priority's ready list and
-- revokes its lease, so a job taken from a dead or stopping worker runs next,
-- before newer jobs, and the old holder can no longer settle it.
-- Returns 1, or 0 when the job's hash is gone (nothing to run).
local function requeue(jobKey, highKey, lowKey, jobId)
  local priority = rcall('HGET', jobKey, 'priority')
  if not priority then
    return 0
  end
  rcall('HSET', jobKey, 'status', 'pending', 'lease_token', '')
  if priority == 'high' then
    rcall('RPUSH', highKey, jobId)
  else
    rcall('RPUSH', lowKey, jobId)
  end
  return 1
end

-- promote-due: moves jobs whose backoff has elapsed from the delayed set back to
-- the consuming (right) end of their priority's ready list. Runs inside claim, so a
-- due high-priority retry is always seen before a ready low-priority job.
-- Earliest-due jobs end up rightmost, so they run first.
local function promoteDue(delayedKey, highKey, lowKey, hashPrefix, now, limit)
  local due = rcall('ZRANGEBYSCORE', delayedKey, '-inf', now, 'LIMIT', 0, limit)
  if #due == 0 then
    return 0
  end
  rcall('ZREM', delayedKey, unpack(due))
  for i = #due, 1, -1 do
    local priority = rcall('HGET', hashPrefix .. due[i], 'priority')
    if priority == 'high' then
      rcall('RPUSH', highKey, due[i])
    elseif priority == 'low' then
      rcall('RPUSH', lowKey, due[i])
    end
  end
  return #due
end

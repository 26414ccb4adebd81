-- Counts finished jobs per minute for GET /stats: one HINCRBY per call of the
-- script, however many jobs it finished (fields c:<minute> and f:<minute>).
local function countPerMinute(statsKey, kind, nowMs, n)
  if n > 0 then
    rcall('HINCRBY', statsKey, kind .. ':' .. math.floor(nowMs / 60000), n)
  end
end

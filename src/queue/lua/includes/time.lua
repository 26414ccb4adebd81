-- Server time, so every process (API, workers on other hosts) shares one clock
-- for timestamps, backoff deadlines and leases.
local function nowMs()
  local t = rcall('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Unix epoch seconds with millisecond precision, as the seed stored timestamps.
local function epochSeconds(ms)
  return string.format('%.3f', ms / 1000)
end

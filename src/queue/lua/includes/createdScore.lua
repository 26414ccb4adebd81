-- A job's place in the listing indexes: its created_ts (epoch seconds with 3
-- decimals) as integer milliseconds.
local function createdScore(createdTs)
  return math.floor(tonumber(createdTs) * 1000 + 0.5)
end

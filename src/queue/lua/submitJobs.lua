--[[
  submit: creates one or more jobs atomically (all or none). Each job gets its
  hash, its place in the all-jobs index (and the recipient index when it has a
  recipient) and either a place in its priority's ready list (LPUSH) or, when it
  is scheduled for later, in the delayed set. Idle workers are woken.

  KEYS[1]          wake-up set             <prefix>:wake
  KEYS[2]          delayed set             <prefix>:delayed
  KEYS[3]          all-jobs index          <prefix>:index:all
  KEYS[4]          events stream           <prefix>:events
  KEYS[3i+2]       job i's hash            <prefix>:hash:<id>        (i = 1..n)
  KEYS[3i+3]       job i's ready list      <prefix>:queue:<priority>
  KEYS[3i+4]       job i's recipient bucket <prefix>:index:to:<n>  (its hash key when none)

  ARGV[1]          events stream length (0 = no events)
  ARGV[7i-5..7i+1] job i: id, job_type, priority, payload (JSON), index member,
                   due ('' | '+<delay ms>' | '@<epoch ms>'), recipient entry ('' = none)

  Output:
    created_ts     epoch seconds shared by every job of the call
    -1             one of the ids already exists; nothing was written
]]
local rcall = redis.call
--- @include "createJobs"

return createJobs(5, 2, (#KEYS - 4) / 3, tonumber(ARGV[1])) or -1

--[[
  submit: creates one or more jobs atomically (all or none). Each job gets its
  hash and is LPUSHed onto its priority's ready list; idle workers are woken.

  KEYS[1]          wake-up set             <prefix>:wake
  KEYS[2i]         job i's hash            <prefix>:hash:<id>        (i = 1..n)
  KEYS[2i+1]       job i's ready list      <prefix>:queue:<priority>

  ARGV[4i-3]       job i's id
  ARGV[4i-2]       job i's job_type
  ARGV[4i-1]       job i's priority (high | low)
  ARGV[4i]         job i's payload (JSON text)

  Output:
    created_ts     epoch seconds shared by every job of the call
    -1             one of the ids already exists; nothing was written
]]
local rcall = redis.call
--- @include "time"
--- @include "createJobs"

return createJobs(2, 1, (#KEYS - 1) / 2, KEYS[1]) or -1

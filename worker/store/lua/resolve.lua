-- Settle the doubt about a `create` whose reply was lost (the connection dropped after it was
-- sent): committed if the run exists; otherwise its id is given up for good, so a copy of the
-- create still on its way is refused when it arrives.
local run_key, aborted_key = KEYS[1], KEYS[2]
local aborted_ttl_s = ARGV[1]
-- Returns 'committed' or 'aborted'.
if redis.call('EXISTS', run_key) == 1 then return 'committed' end
redis.call('SET', aborted_key, '1', 'EX', aborted_ttl_s)
return 'aborted'

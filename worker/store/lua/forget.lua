-- Forget a finished run whose retention has ended: its records and every index entry of it.
-- KEYS: forgettable, run, attempts, events, event seq, checkpoints, then each index that
--       holds the run (its status index and `Keys.run_indexes`)
-- ARGV: run id, now (epoch ms)
-- Returns 1 when forgotten; 0 when the run is not due (a retry took it out of forgettable,
-- or it ended again later).
local forgettable_key, run_id, now_ms = KEYS[1], ARGV[1], tonumber(ARGV[2])
local forget_at = redis.call('ZSCORE', forgettable_key, run_id)
if not forget_at or tonumber(forget_at) > now_ms then return 0 end
redis.call('DEL', KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6])
for i = 7, #KEYS do redis.call('ZREM', KEYS[i], run_id) end
redis.call('ZREM', forgettable_key, run_id)
return 1

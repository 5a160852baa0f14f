-- Save a checkpoint value, only for the attempt that holds the run (fenced).
local run_key, checkpoints_key = KEYS[1], KEYS[2]
local attempt, checkpoint, value_json = ARGV[1], ARGV[2], ARGV[3]
-- Returns 1 when saved, 0 when the attempt no longer holds the run.
local state = redis.call('HMGET', run_key, 'status', 'attempt')
if state[1] ~= 'processing' or state[2] ~= attempt then return 0 end
redis.call('HSET', checkpoints_key, checkpoint, value_json)
return 1

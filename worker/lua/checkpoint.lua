-- Save a checkpoint value, only for the attempt that holds the run (fenced).
-- KEYS: run, checkpoints   ARGV: attempt, checkpoint key, value json
local state = redis.call('HMGET', KEYS[1], 'status', 'attempt')
if state[1] ~= 'processing' or state[2] ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
return 1

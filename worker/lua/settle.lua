-- End an attempt: to completed, failed or cancelled (terminal), or back to open for a retry.
-- Fenced: only the attempt that holds the run in processing may settle it.
-- KEYS: run, attempts, processing index, target index, events, event seq, secrets, checkpoints,
--       lease, metrics
-- ARGV: run id, attempt, new status, attempt record json, event type or '', event body json,
--       now iso, events cap, retention ttl s or '' (not terminal), index cutoff ms,
--       then field/value pairs.
local state = redis.call('HMGET', KEYS[1], 'status', 'attempt')
if state[1] ~= 'processing' or state[2] ~= ARGV[2] then return 0 end
local fields = {'status', ARGV[3]}
for i = 11, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('HSET', KEYS[2], ARGV[2], ARGV[4])
count_run(KEYS[10], KEYS[1], ARGV[3])
if redis.call('GET', KEYS[9]) == ARGV[2] then redis.call('DEL', KEYS[9]) end
local score = redis.call('ZSCORE', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
if score then redis.call('ZADD', KEYS[4], score, ARGV[1]) end
if ARGV[5] ~= '' then emit(KEYS[5], KEYS[6], ARGV[5], ARGV[6], ARGV[7], ARGV[8]) end
if ARGV[9] ~= '' then
  for _, i in ipairs({1, 2, 5, 6, 8}) do redis.call('EXPIRE', KEYS[i], ARGV[9]) end
  redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', '(' .. ARGV[10])
  redis.call('DEL', KEYS[7])
end
return 1

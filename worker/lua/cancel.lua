-- Cancel a run: an open run ends `cancelled` at once; a processing run is asked to stop
-- (its heartbeat sees the request). Idempotent.
-- KEYS: run, open index, cancelled index, events, event seq, secrets, attempts, checkpoints
-- ARGV: run id, now iso, events cap, retention ttl s, cancelled event body json,
--       log event body json (for a processing run)
-- Returns 'cancelled', 'requested', 'missing', or the status of a run that already ended.
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return 'missing' end
if status == 'processing' then
  if not redis.call('HGET', KEYS[1], 'cancelRequestedAt') then
    redis.call('HSET', KEYS[1], 'cancelRequestedAt', ARGV[2])
    emit(KEYS[4], KEYS[5], 'log', ARGV[6], ARGV[2], ARGV[3])
  end
  return 'requested'
end
if status ~= 'open' then return status end
redis.call('HSET', KEYS[1], 'status', 'cancelled', 'cancelRequestedAt', ARGV[2],
  'finishedAt', ARGV[2])
local score = redis.call('ZSCORE', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
if score then redis.call('ZADD', KEYS[3], score, ARGV[1]) end
emit(KEYS[4], KEYS[5], 'cancelled', ARGV[5], ARGV[2], ARGV[3])
for _, i in ipairs({1, 4, 5, 7, 8}) do redis.call('EXPIRE', KEYS[i], ARGV[4]) end
redis.call('DEL', KEYS[6])
return 'cancelled'

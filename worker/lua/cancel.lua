-- Cancel a run: an open run ends `cancelled` at once; a processing run is asked to stop
-- (its heartbeat sees the request). Idempotent.
-- KEYS: run, open index, cancelled index, events, event seq, secrets, attempts, checkpoints,
--       metrics
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
end_open('cancelled', 'cancelled', ARGV[5], ARGV[2], ARGV[3], ARGV[4],
  {'cancelRequestedAt', ARGV[2]})
return 'cancelled'

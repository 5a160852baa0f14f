-- Cancel a run: an open run ends `cancelled` at once; a processing run is asked to stop
-- (its heartbeat sees the request). Idempotent.
-- KEYS: run, open index, cancelled index, events, event seq, secrets, attempts, checkpoints,
--       metrics, due, waiting (see open_run_keys in _lib.lua)
local k = open_run_keys()
local run_id, now_iso, events_cap, retention_s = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local cancelled_body, requested_body = ARGV[5], ARGV[6]
-- Returns 'cancelled', 'requested', 'missing', or the status of a run that already ended.
local status = redis.call('HGET', k.run, 'status')
if not status then return 'missing' end
if status == 'processing' then
  if not redis.call('HGET', k.run, 'cancelRequestedAt') then
    redis.call('HSET', k.run, 'cancelRequestedAt', now_iso)
    emit(k.events, k.seq, 'log', requested_body, now_iso, events_cap)
  end
  return 'requested'
end
if status ~= 'open' then return status end
end_open(k, run_id, 'cancelled', 'cancelled', cancelled_body, now_iso, events_cap, retention_s,
  {'cancelRequestedAt', now_iso})
return 'cancelled'

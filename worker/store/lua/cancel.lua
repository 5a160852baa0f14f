-- Cancel a run: an open run ends `cancelled` at once; a processing run is asked to stop
-- (its heartbeat sees the request). Idempotent.
-- KEYS: run, open index, cancelled index, events, event seq, secrets, attempts, checkpoints,
--       metrics, due, waiting, forgettable (see open_run_keys in _lib.lua)
local k = open_run_keys()
local run_id, now_iso, events_cap, record_ttl_s = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local cancelled_body, requested_body, forget_at_ms = ARGV[5], ARGV[6], ARGV[7]
-- Returns {outcome, run hash fields (flat), attempts (flat)}, the run as the cancel left it
-- (so the caller need not read it again); outcome: 'cancelled', 'requested', 'missing', or
-- the status of a run that already ended.
local function answer(outcome)
  return {outcome, redis.call('HGETALL', k.run), redis.call('HGETALL', k.attempts)}
end
local status = redis.call('HGET', k.run, 'status')
if not status then return answer('missing') end
if status == 'processing' then
  if not redis.call('HGET', k.run, 'cancelRequestedAt') then
    redis.call('HSET', k.run, 'cancelRequestedAt', now_iso)
    emit(k.events, k.seq, 'log', requested_body, now_iso, events_cap)
  end
  return answer('requested')
end
if status ~= 'open' then return answer(status) end
end_open(k, run_id, 'cancelled', 'cancelled', cancelled_body, now_iso, events_cap, record_ttl_s,
  forget_at_ms, {'cancelRequestedAt', now_iso})
return answer('cancelled')

-- Settle the doubt about a `create` whose reply was lost (the connection dropped after it was
-- sent): committed if the run exists; else the run id is given up for good (so a copy of the
-- create still on its way is refused when it arrives), and the idempotency key, if the
-- create had one, may name the run that holds it.
local run_key, aborted_key, idem_key = KEYS[1], KEYS[2], KEYS[3]
local run_id, fingerprint, aborted_ttl_s, has_key = ARGV[1], ARGV[2], ARGV[3], ARGV[4] == '1'
-- Returns {outcome, run id, fingerprint}, as `create` does: 'exists' (the create was carried
-- out), 'replay' (the key names another run: its id and fingerprint) or 'aborted'.
if redis.call('EXISTS', run_key) == 1 then return {'exists', run_id, fingerprint} end
redis.call('SET', aborted_key, '1', 'EX', aborted_ttl_s)
if has_key then
  local existing = redis.call('HMGET', idem_key, 'runId', 'fingerprint')
  if existing[1] then return {'replay', existing[1], existing[2]} end
end
return {'aborted', run_id, fingerprint}

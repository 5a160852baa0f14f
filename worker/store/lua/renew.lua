-- Heartbeat: extend the lease of the attempt that holds it and note the time.
local run_key, due_key = KEYS[1], KEYS[2]
local run_id, attempt, lease_ttl_ms, now_ms, now_iso = ARGV[1], ARGV[2], tonumber(ARGV[3]),
  tonumber(ARGV[4]), ARGV[5]
-- Returns {'held', cancelRequestedAt or ''}, or {'lost', ''}: another attempt holds the run,
-- it ended, or this lease expired (the sweep recovers the run; it is not taken back).
local state = redis.call('HMGET', run_key, 'status', 'attempt', 'leaseUntilMs',
  'cancelRequestedAt')
if state[1] ~= 'processing' or state[2] ~= attempt then return {'lost', ''} end
local lease_until = tonumber(state[3])
if not lease_until or lease_until < now_ms then return {'lost', ''} end
local lease_until_ms = now_ms + lease_ttl_ms
redis.call('HSET', run_key, 'leaseUntilMs', lease_until_ms, 'lastHeartbeatAt', now_iso)
redis.call('ZADD', due_key, lease_until_ms, run_id)
return {'held', state[4] or ''}

-- Heartbeat: extend the lease of the attempt that holds it and note the time.
-- KEYS: lease, run   ARGV: attempt (fencing token), lease ttl ms, now iso
-- Returns {1 if the lease is still this attempt's, cancelRequestedAt or ''}.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return {0, ''} end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('HSET', KEYS[2], 'lastHeartbeatAt', ARGV[3])
return {1, redis.call('HGET', KEYS[2], 'cancelRequestedAt') or ''}

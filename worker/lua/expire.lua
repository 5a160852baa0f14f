-- Fail an open run that passed its queue timeout or its deadline: it never starts.
-- KEYS: run, open index, failed index, events, event seq, secrets, attempts, checkpoints,
--       metrics
-- ARGV: run id, now iso, events cap, retention ttl s, completion event body json, error json
-- Returns 'expired', or the run's status if it is no longer open ('missing' if gone).
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return 'missing' end
if status ~= 'open' then return status end
end_open('failed', 'completion', ARGV[5], ARGV[2], ARGV[3], ARGV[4], {'error', ARGV[6]})
return 'expired'

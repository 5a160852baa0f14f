-- Fail an open run that passed its queue timeout or its deadline: it never starts.
-- KEYS: run, open index, failed index, events, event seq, secrets, attempts, checkpoints,
--       metrics, due, waiting (see open_run_keys in _lib.lua)
local k = open_run_keys()
local run_id, now_iso, events_cap, retention_s = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local completion_body, error_json = ARGV[5], ARGV[6]
-- Returns 'expired', or the run's status if it is no longer open ('missing' if gone).
local status = redis.call('HGET', k.run, 'status')
if not status then return 'missing' end
if status ~= 'open' then return status end
end_open(k, run_id, 'failed', 'completion', completion_body, now_iso, events_cap, retention_s,
  {'error', error_json})
return 'expired'

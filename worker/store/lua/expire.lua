-- Fail an open run that passed its queue timeout or its deadline: it never starts.
-- KEYS: run, open index, failed index, events, event seq, secrets, attempts, checkpoints,
--       metrics, due, waiting, forgettable (see open_run_keys in _lib.lua)
local k = open_run_keys()
local run_id, now_iso, events_cap, record_ttl_s = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local completion_body, error_json, now_ms = ARGV[5], ARGV[6], tonumber(ARGV[7])
local forget_at_ms = ARGV[8]
-- Returns 'expired'; 'not-due' when no limit of the run has passed (it moved since the caller
-- looked: a retry with a new queue deadline); or the run's status if it is no longer open
-- ('missing' if gone).
local f = redis.call('HMGET', k.run, 'status', 'deadlineMs', 'queueDeadlineMs')
local status = f[1]
if not status then return 'missing' end
if status ~= 'open' then return status end
local passed = false
for _, limit in ipairs({f[2], f[3]}) do
  if limit and now_ms > tonumber(limit) then passed = true end
end
if not passed then return 'not-due' end
end_open(k, run_id, 'failed', 'completion', completion_body, now_iso, events_cap, record_ttl_s,
  forget_at_ms, {'error', error_json})
return 'expired'

-- End an attempt: to completed, failed or cancelled (terminal), or back to open with the next
-- attempt's message put on the queue in the same step (a retry).
-- Fenced: only the attempt that holds the run in processing may settle it.
local run_key, attempts_key, processing_key, target_key = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local events_key, seq_key, secrets_key, checkpoints_key = KEYS[5], KEYS[6], KEYS[7], KEYS[8]
local metrics_key, due_key, waiting_key, queue_key = KEYS[9], KEYS[10], KEYS[11], KEYS[12]
local forgettable_key = KEYS[13]
local run_id, attempt, status, attempt_json = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local event_type, event_body, now_iso, events_cap = ARGV[5], ARGV[6], ARGV[7], ARGV[8]
local record_ttl_s, forget_at_ms, expired_by_ms = ARGV[9], ARGV[10], ARGV[11]
local due_ms, ready_ms, message = ARGV[12], ARGV[13], ARGV[14]
-- ARGV[15..]: run hash field/value pairs to set.
-- record_ttl_s, forget_at_ms: '' unless the run ends (see retire in _lib.lua); expired_by_ms: '' or, for the sweep, settle only if the
-- lease ran out before this time; due_ms, ready_ms, message: for a retry ('' otherwise).
-- Returns 'settled' (also to a resend of a call that was carried out), 'stale' (this attempt
-- no longer holds the run) or 'alive' (the lease was renewed after all).
local state = redis.call('HMGET', run_key, 'status', 'attempt', 'leaseUntilMs')
if state[1] ~= 'processing' or state[2] ~= attempt then
  if redis.call('HGET', attempts_key, attempt) == attempt_json then return 'settled' end
  return 'stale'
end
if expired_by_ms ~= '' and (tonumber(state[3]) or 0) >= tonumber(expired_by_ms) then
  return 'alive'
end
local fields = {'status', status}
for i = 15, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', run_key, unpack(fields))
redis.call('HDEL', run_key, 'leaseUntilMs', 'claimToken')
redis.call('HSET', attempts_key, attempt, attempt_json)
count_run(metrics_key, run_key, status)
move_index(processing_key, target_key, run_id)
if event_type ~= '' then emit(events_key, seq_key, event_type, event_body, now_iso, events_cap) end
if status == 'open' then
  redis.call('HSET', run_key, 'readyMs', ready_ms)
  redis.call('ZADD', waiting_key, ready_ms, run_id)
  if due_ms ~= '' then redis.call('ZADD', due_key, due_ms, run_id)
  else redis.call('ZREM', due_key, run_id) end
  redis.call('LPUSH', queue_key, message)
elseif record_ttl_s ~= '' then
  local k = {run = run_key, attempts = attempts_key, events = events_key, seq = seq_key,
    checkpoints = checkpoints_key, secrets = secrets_key, due = due_key, waiting = waiting_key,
    forgettable = forgettable_key}
  retire(k, run_id, record_ttl_s, forget_at_ms)
end
return 'settled'

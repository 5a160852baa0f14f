-- Move an open run into processing for the given attempt, if that attempt is the next one,
-- and give it the run's lease (`leaseUntilMs`; the attempt number is the fencing token).
local run_key, attempts_key, open_key, processing_key = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local events_key, seq_key, secrets_key, metrics_key = KEYS[5], KEYS[6], KEYS[7], KEYS[8]
local due_key, waiting_key = KEYS[9], KEYS[10]
local run_id, attempt, now_iso, attempt_json = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local log_body, events_cap = ARGV[5], ARGV[6]
local lease_ttl_ms, now_ms, token = tonumber(ARGV[7]), tonumber(ARGV[8]), ARGV[9]
-- token: unique to this claim, so a resend of the same call finds its own claim.
-- Returns {'claimed', run hash fields (flat), sealed secrets or ''}, or {why not}: 'missing',
-- 'stale', 'deadline' or 'queue-timeout' (the caller expires the run), or the run's status.
local state = redis.call('HMGET', run_key, 'status', 'attempt', 'startedAt', 'claimToken',
  'deadlineMs', 'queueDeadlineMs', 'readyMs', 'actionId', 'queue')
local status = state[1]
local function claimed()
  return {'claimed', redis.call('HGETALL', run_key), redis.call('GET', secrets_key) or ''}
end
if not status then return {'missing'} end
if status == 'processing' and state[2] == attempt and state[4] == token then return claimed() end
if status ~= 'open' then return {status} end
if tonumber(state[2]) + 1 ~= tonumber(attempt) then return {'stale'} end
if state[5] and now_ms > tonumber(state[5]) then return {'deadline'} end
if state[6] and now_ms > tonumber(state[6]) then return {'queue-timeout'} end
local lease_until_ms = now_ms + lease_ttl_ms
redis.call('HSET', run_key, 'status', 'processing', 'attempt', attempt,
  'lastHeartbeatAt', now_iso, 'leaseUntilMs', lease_until_ms, 'claimToken', token)
if not state[3] then redis.call('HSET', run_key, 'startedAt', now_iso) end
redis.call('HSET', attempts_key, attempt, attempt_json)
redis.call('ZADD', due_key, lease_until_ms, run_id)
redis.call('ZREM', waiting_key, run_id)
move_index(open_key, processing_key, run_id)
emit(events_key, seq_key, 'log', log_body, now_iso, events_cap)
local action, template, owner = run_labels(run_key)
if attempt == '1' then count(metrics_key, 'runs_started', {action, template, owner}, {2, 3}) end
local wait_s = math.max(0, now_ms - (tonumber(state[7]) or now_ms)) / 1000
observe(metrics_key, 'queue_wait_seconds', {state[9] or '', action}, {}, wait_s)
return claimed()

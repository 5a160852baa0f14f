-- Retry a failed or cancelled run: reopen it as its next attempt, with that attempt's
-- message put on its queue in the same step (Backstage's retry: the same run, a new attempt,
-- its checkpoints kept so that the steps that succeeded are not done again).
-- KEYS: run, attempts, events, event seq, checkpoints, secrets, metrics, due, waiting,
--       queues, queue (the broker list), open index, the run's status index (failed or
--       cancelled), forgettable, idempotency (the run key itself when no key was given)
local run_key, attempts_key, events_key, seq_key = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local checkpoints_key, secrets_key, metrics_key, due_key = KEYS[5], KEYS[6], KEYS[7], KEYS[8]
local waiting_key, queues_key, queue_key, open_key = KEYS[9], KEYS[10], KEYS[11], KEYS[12]
local ended_key, forgettable_key, idem_key = KEYS[13], KEYS[14], KEYS[15]
local run_id, ended_attempt, ended_status, token = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local has_key, idem_ttl_s, now_iso, events_cap = ARGV[5] == '1', ARGV[6], ARGV[7], ARGV[8]
local log_body, fields_json, due_ms, ready_ms = ARGV[9], ARGV[10], ARGV[11], ARGV[12]
local queue, message, secrets_sealed, secrets_ttl_s = ARGV[13], ARGV[14], ARGV[15], ARGV[16]
-- ended_attempt, ended_status: the run as the caller read it (the message it built is for
-- attempt ended_attempt + 1); token: unique to this call, so a resend finds its own retry;
-- fields_json: run hash fields to set (the new attempt's limits), one JSON object of strings;
-- due_ms: '' or when the sweep must look at the run; secrets_sealed: '' or the secrets sent
-- again for this attempt (a run created with secrets needs them: they went when it ended).
-- Returns {outcome, run hash fields (flat), attempts (flat)}; outcome: 'retried'; 'replay'
-- (this call, or one with the same idempotency key, retried it already); 'missing'; 'stale'
-- (the run changed since the caller read it); 'secrets-required'; or the status of a run
-- that is not failed or cancelled.
local function answer(outcome)
  return {outcome, redis.call('HGETALL', run_key), redis.call('HGETALL', attempts_key)}
end
local state = redis.call('HMGET', run_key, 'status', 'attempt', 'retryToken', 'hasSecrets')
if not state[1] then return answer('missing') end
if state[3] == token then return answer('replay') end
if has_key and redis.call('EXISTS', idem_key) == 1 then return answer('replay') end
if state[1] ~= 'failed' and state[1] ~= 'cancelled' then return answer(state[1]) end
if state[1] ~= ended_status or state[2] ~= ended_attempt then return answer('stale') end
if state[4] == '1' and secrets_sealed == '' then return answer('secrets-required') end
local fields = {'status', 'open', 'retryToken', token, 'readyMs', ready_ms}
for name, value in pairs(cjson.decode(fields_json)) do
  fields[#fields + 1] = name
  fields[#fields + 1] = value
end
redis.call('HDEL', run_key, 'error', 'output', 'finishedAt', 'cancelRequestedAt',
  'deadlineMs', 'queueDeadlineMs', 'deadlineAt', 'queueDeadlineAt')
redis.call('HSET', run_key, unpack(fields))
redis.call('HINCRBY', run_key, 'retries', 1)
for _, key in ipairs({run_key, attempts_key, events_key, seq_key, checkpoints_key}) do
  redis.call('PERSIST', key)
end
redis.call('ZREM', forgettable_key, run_id)
move_index(ended_key, open_key, run_id)
if secrets_sealed ~= '' then
  redis.call('SET', secrets_key, secrets_sealed, 'EX', secrets_ttl_s)
  redis.call('HSET', run_key, 'hasSecrets', '1')
end
if due_ms ~= '' then redis.call('ZADD', due_key, due_ms, run_id) end
redis.call('ZADD', waiting_key, ready_ms, run_id)
redis.call('SADD', queues_key, queue)
redis.call('LPUSH', queue_key, message)
emit(events_key, seq_key, 'log', log_body, now_iso, events_cap)
if has_key then
  redis.call('HSET', idem_key, 'runId', run_id)
  redis.call('EXPIRE', idem_key, idem_ttl_s)
end
local action, template, owner = run_labels(run_key)
count(metrics_key, 'runs_reopened', {action, template, owner}, {2, 3})
return answer('retried')

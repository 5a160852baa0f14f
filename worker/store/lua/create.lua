-- Record a new run and put its first attempt's message on its queue, in one step; or find
-- the run its idempotency key already names. Nothing exists with a record but no message,
-- or a message but no record.
local run_key, idem_key, secrets_key, open_key = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local metrics_key, due_key, waiting_key, queues_key = KEYS[5], KEYS[6], KEYS[7], KEYS[8]
local queue_key, aborted_key = KEYS[9], KEYS[10]
-- KEYS[11..]: the run's other indexes (all, action, owner, template, task, user); the
-- sweep takes the run out of them when its retention ends (forget.lua)
local run_id, fingerprint, created_ms = ARGV[1], ARGV[2], ARGV[3]
local idem_ttl_s, has_key = ARGV[4], ARGV[5] == '1'
local secrets_sealed, secrets_ttl_s = ARGV[6], ARGV[7]
local fields_json, due_ms, ready_ms = ARGV[8], ARGV[9], ARGV[10]
local queue, message = ARGV[11], ARGV[12]
-- fields_json: the run hash fields as one JSON object of strings; due_ms: '' or when the
-- sweep must look at the run; message: the broker payload, as kombu would LPUSH it;
-- secrets_sealed: '' or the run's secrets as one token (never plaintext), kept secrets_ttl_s.
-- Returns {outcome, run id, fingerprint}; outcome: 'created'; 'exists' (this same call was
-- carried out before: a resend); 'replay' (the key names a run: its id and fingerprint);
-- 'aborted' (the API gave this run id up after losing the reply of an earlier send).
if redis.call('EXISTS', aborted_key) == 1 then return {'aborted', run_id, fingerprint} end
if redis.call('EXISTS', run_key) == 1 then return {'exists', run_id, fingerprint} end
if has_key then
  local existing = redis.call('HMGET', idem_key, 'runId', 'fingerprint')
  if existing[1] then return {'replay', existing[1], existing[2]} end
end
local fields = {}
for name, value in pairs(cjson.decode(fields_json)) do
  fields[#fields + 1] = name
  fields[#fields + 1] = value
end
redis.call('HSET', run_key, unpack(fields))
if has_key then
  redis.call('HSET', idem_key, 'runId', run_id, 'fingerprint', fingerprint)
  redis.call('EXPIRE', idem_key, idem_ttl_s)
end
if secrets_sealed ~= '' then
  redis.call('SET', secrets_key, secrets_sealed, 'EX', secrets_ttl_s)
end
redis.call('ZADD', open_key, created_ms, run_id)
count_run(metrics_key, run_key, 'created')
for i = 11, #KEYS do
  redis.call('ZADD', KEYS[i], created_ms, run_id)
end
if due_ms ~= '' then redis.call('ZADD', due_key, due_ms, run_id) end
redis.call('ZADD', waiting_key, ready_ms, run_id)
redis.call('SADD', queues_key, queue)
redis.call('LPUSH', queue_key, message)
return {'created', run_id, fingerprint}

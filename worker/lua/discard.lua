-- Undo a create whose dispatch failed, if no worker has touched the run.
-- KEYS: run, idempotency (or the run key again), secrets, status index, metrics, other
-- indexes (the order of `create`).  ARGV: run id
local state = redis.call('HMGET', KEYS[1], 'status', 'attempt')
if state[1] ~= 'open' or state[2] ~= '0' then return 0 end
local action, template, owner = run_labels(KEYS[1])
count(KEYS[5], 'runs_discarded', {action, template, owner}, {2, 3})
redis.call('DEL', KEYS[1], KEYS[3])
if KEYS[2] ~= KEYS[1] and redis.call('HGET', KEYS[2], 'runId') == ARGV[1] then
  redis.call('DEL', KEYS[2])
end
for i = 4, #KEYS do
  if i ~= 5 then redis.call('ZREM', KEYS[i], ARGV[1]) end
end
return 1

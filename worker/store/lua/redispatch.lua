-- The sweep's guard: put a copy of an open run's next attempt message on its queue, when the
-- message it saw left the queue long ago and the attempt never started (lost in the broker).
local run_key, waiting_key, queue_key, metrics_key = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local run_id, seen_ms, pushed_ms, message = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
-- seen_ms: the run's score in the waiting set when the sweep picked it; pushed_ms: now;
-- message: '' when the caller found the run not open (then only a run not open is dropped).
-- Returns 'redispatched', 'moved' (a new message went out meanwhile, or the run is open again
-- after the caller looked), or the run's status ('missing' if gone).
local status = redis.call('HGET', run_key, 'status')
if status ~= 'open' then
  redis.call('ZREM', waiting_key, run_id)
  return status or 'missing'
end
local score = redis.call('ZSCORE', waiting_key, run_id)
if message == '' or tonumber(score) ~= tonumber(seen_ms) then return 'moved' end
redis.call('HINCRBY', run_key, 'redispatches', 1)
redis.call('ZADD', waiting_key, pushed_ms, run_id)
redis.call('LPUSH', queue_key, message)
local action, template, owner = run_labels(run_key)
count(metrics_key, 'runs_redispatched', {action, template, owner}, {2, 3})
return 'redispatched'

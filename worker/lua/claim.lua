-- Move an open run into processing for the given attempt, if that attempt is the next one,
-- and give that attempt the run's lease (value: the attempt number, the fencing token).
-- KEYS: run, attempts, open index, processing index, events, event seq, secrets, lease, metrics
-- ARGV: run id, attempt, now iso, attempt record json, log event body json, events cap,
--       lease ttl ms, now ms
-- Returns {'claimed', run hash fields (flat), secrets json or ''}, or why not: 'missing',
-- 'stale', 'deadline' or 'queue-timeout' (the caller expires the run), or its status.
local state = redis.call('HMGET', KEYS[1], 'status', 'attempt', 'startedAt')
if not state[1] then return 'missing' end
if state[1] ~= 'open' then return state[1] end
if tonumber(state[2]) + 1 ~= tonumber(ARGV[2]) then return 'stale' end
local limits = redis.call('HMGET', KEYS[1], 'deadlineMs', 'queueDeadlineMs')
if limits[1] and tonumber(ARGV[8]) > tonumber(limits[1]) then return 'deadline' end
if limits[2] and tonumber(ARGV[8]) > tonumber(limits[2]) then return 'queue-timeout' end
redis.call('HSET', KEYS[1], 'status', 'processing', 'attempt', ARGV[2], 'lastHeartbeatAt', ARGV[3])
if not state[3] then redis.call('HSET', KEYS[1], 'startedAt', ARGV[3]) end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[4])
redis.call('SET', KEYS[8], ARGV[2], 'PX', ARGV[7])
local score = redis.call('ZSCORE', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
if score then redis.call('ZADD', KEYS[4], score, ARGV[1]) end
emit(KEYS[5], KEYS[6], 'log', ARGV[5], ARGV[3], ARGV[6])
local action, template, owner, queue = run_labels(KEYS[1])
if ARGV[2] == '1' then count(KEYS[9], 'runs_started', {action, template, owner}, {2, 3}) end
local queued_ms = tonumber(redis.call('HGET', KEYS[1], 'queuedMs')) or tonumber(ARGV[8])
local wait_s = math.max(0, tonumber(ARGV[8]) - queued_ms) / 1000
observe(KEYS[9], 'queue_wait_seconds', {queue, action}, {}, wait_s)
return {'claimed', redis.call('HGETALL', KEYS[1]), redis.call('GET', KEYS[7]) or ''}

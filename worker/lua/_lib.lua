-- Shared by every script that appends events: prepended when the scripts are loaded.
local function emit(events_key, seq_key, event_type, body, created_at, cap)
  local id = redis.call('INCR', seq_key)
  redis.call('XADD', events_key, 'MAXLEN', cap, '0-' .. id,
    'type', event_type, 'body', body, 'createdAt', created_at)
  return id
end

-- End an open run (cancelled, or failed by a queue timeout or deadline) without an attempt.
-- Uses KEYS: run, open index, target index, events, event seq, secrets, attempts, checkpoints,
-- metrics;
-- ARGV[1] is the run id. `fields` are extra run hash fields (flat list).
local function end_open(status, event_type, body, now_iso, cap, ttl_s, fields)
  redis.call('HSET', KEYS[1], 'status', status, 'finishedAt', now_iso, unpack(fields))
  count_run(KEYS[9], KEYS[1], status)
  local score = redis.call('ZSCORE', KEYS[2], ARGV[1])
  redis.call('ZREM', KEYS[2], ARGV[1])
  if score then redis.call('ZADD', KEYS[3], score, ARGV[1]) end
  emit(KEYS[4], KEYS[5], event_type, body, now_iso, cap)
  for _, i in ipairs({1, 4, 5, 7, 8}) do redis.call('EXPIRE', KEYS[i], ttl_s) end
  redis.call('DEL', KEYS[6])
end

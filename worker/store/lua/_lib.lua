-- Shared by the scripts: prepended (after _metrics.lua) when they are loaded.

-- Append one event to a run's stream; returns its id.
local function emit(events_key, seq_key, event_type, body, created_at, cap)
  local id = redis.call('INCR', seq_key)
  redis.call('XADD', events_key, 'MAXLEN', cap, '0-' .. id,
    'type', event_type, 'body', body, 'createdAt', created_at)
  return id
end

-- Move a run from one status index to another, keeping its score (the creation time).
local function move_index(from_key, to_key, run_id)
  local score = redis.call('ZSCORE', from_key, run_id)
  redis.call('ZREM', from_key, run_id)
  if score then redis.call('ZADD', to_key, score, run_id) end
end

-- A run that ended: the sweep forgets it (records and index entries: forget.lua) at
-- forget_at_ms, the end of its retention; its records' TTL (ttl_s, a little longer) only
-- catches a pool left without workers. Its secrets go now, and the recovery sweep never
-- looks at it again.
local function retire(k, run_id, ttl_s, forget_at_ms)
  for _, key in ipairs({k.run, k.attempts, k.events, k.seq, k.checkpoints}) do
    redis.call('EXPIRE', key, ttl_s)
  end
  redis.call('ZADD', k.forgettable, forget_at_ms, run_id)
  redis.call('DEL', k.secrets)
  redis.call('ZREM', k.due, run_id)
  redis.call('ZREM', k.waiting, run_id)
end

-- End an open run (cancelled, or failed by a queue timeout or deadline) without an attempt.
-- k: the keys of `open_run_keys` below; `fields`: extra run hash fields (a flat list).
local function end_open(k, run_id, status, event_type, body, now_iso, cap, ttl_s, forget_at_ms,
    fields)
  redis.call('HSET', k.run, 'status', status, 'finishedAt', now_iso, unpack(fields))
  count_run(k.metrics, k.run, status)
  move_index(k.open, k.target, run_id)
  emit(k.events, k.seq, event_type, body, now_iso, cap)
  retire(k, run_id, ttl_s, forget_at_ms)
end

-- The KEYS of `cancel` and `expire`, by name.
local function open_run_keys()
  return {run = KEYS[1], open = KEYS[2], target = KEYS[3], events = KEYS[4], seq = KEYS[5],
    secrets = KEYS[6], attempts = KEYS[7], checkpoints = KEYS[8], metrics = KEYS[9],
    due = KEYS[10], waiting = KEYS[11], forgettable = KEYS[12]}
end

-- Shared by every script that appends events: prepended when the scripts are loaded.
local function emit(events_key, seq_key, event_type, body, created_at, cap)
  local id = redis.call('INCR', seq_key)
  redis.call('XADD', events_key, 'MAXLEN', cap, '0-' .. id,
    'type', event_type, 'body', body, 'createdAt', created_at)
  return id
end

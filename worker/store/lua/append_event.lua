-- Append one event of a running attempt to its run's stream. Fenced: an attempt that no
-- longer holds the run (a zombie resumed after its lease passed on) writes nothing.
local run_key, events_key, seq_key = KEYS[1], KEYS[2], KEYS[3]
local attempt, event_type, body, now_iso, cap = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
-- Returns the event id, or 0 when the attempt no longer holds the run.
local state = redis.call('HMGET', run_key, 'status', 'attempt')
if state[1] ~= 'processing' or state[2] ~= attempt then return 0 end
return emit(events_key, seq_key, event_type, body, now_iso, cap)

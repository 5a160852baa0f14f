-- Append one event to a run's stream. KEYS: events, event seq. ARGV: type, body, now iso, cap
return emit(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3], ARGV[4])

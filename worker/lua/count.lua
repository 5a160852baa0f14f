-- Add to a pool counter counted outside the run scripts (idempotent replays, recovered leases).
-- KEYS: metrics.  ARGV: metric name, amount, then its label values.
local labels = {}
for i = 3, #ARGV do labels[#labels + 1] = ARGV[i] end
count(KEYS[1], ARGV[1], labels, {}, tonumber(ARGV[2]))
return 1

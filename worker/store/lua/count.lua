-- Add to a pool counter counted outside the run scripts (idempotent replays, recovered leases).
local metrics_key = KEYS[1]
local name, amount = ARGV[1], tonumber(ARGV[2])
-- ARGV[3..]: the counter's label values. Returns 1.
local labels = {}
for i = 3, #ARGV do labels[#labels + 1] = ARGV[i] end
count(metrics_key, name, labels, {}, amount)
return 1

-- Put a run the sweep found due, but with nothing to do, back at its true due time (its entry
-- was out of date), or take it out of the due set.
local run_key, due_key = KEYS[1], KEYS[2]
local run_id = ARGV[1]
-- Returns the new due time (epoch ms), or 0 when the run needs the sweep no more.
local f = redis.call('HMGET', run_key, 'status', 'leaseUntilMs', 'deadlineMs', 'queueDeadlineMs')
local due = nil
if f[1] == 'processing' then due = tonumber(f[2])
elseif f[1] == 'open' then
  for _, v in ipairs({f[3], f[4]}) do
    if v and (due == nil or tonumber(v) < due) then due = tonumber(v) end
  end
end
if due == nil then
  redis.call('ZREM', due_key, run_id)
  return 0
end
redis.call('ZADD', due_key, due, run_id)
return due

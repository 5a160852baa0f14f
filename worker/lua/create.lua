-- Record a new run, or return the run that already holds its idempotency key.
-- KEYS: run, idempotency, secrets, status index, metrics, other indexes...
-- ARGV: run id, fingerprint, created ms, idempotency ttl s, has key (1/0), secrets json or '',
--       secrets ttl s, index cutoff ms, run hash fields as one JSON object of strings.
if ARGV[5] == '1' then
  local existing = redis.call('HMGET', KEYS[2], 'runId', 'fingerprint')
  if existing[1] then
    return {0, existing[1], existing[2]}
  end
end
local fields = {}
for name, value in pairs(cjson.decode(ARGV[9])) do
  fields[#fields + 1] = name
  fields[#fields + 1] = value
end
redis.call('HSET', KEYS[1], unpack(fields))
if ARGV[5] == '1' then
  redis.call('HSET', KEYS[2], 'runId', ARGV[1], 'fingerprint', ARGV[2])
  redis.call('EXPIRE', KEYS[2], ARGV[4])
end
if ARGV[6] ~= '' then
  redis.call('SET', KEYS[3], ARGV[6], 'EX', ARGV[7])
end
redis.call('ZADD', KEYS[4], ARGV[3], ARGV[1])
count_run(KEYS[5], KEYS[1], 'created')
for i = 6, #KEYS do
  redis.call('ZADD', KEYS[i], ARGV[3], ARGV[1])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', '(' .. ARGV[8])
end
return {1, ARGV[1], ARGV[2]}

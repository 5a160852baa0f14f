-- Pool metrics, counted in the scripts that change run state, so they are exact and cover
-- the whole pool: one hash, field '<metric>\t<label values, tab-separated>' -> value.
-- worker/telemetry/metrics.py names the labels of each metric and renders them for Prometheus;
-- BOUNDS_S must equal its BUCKET_BOUNDS_S (tests/unit/worker/test_metrics.py checks).
local METRIC_FIELDS_MAX = 50000
local BOUNDS_S = {0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600}

local function metric_field(name, labels)
  return name .. '\t' .. table.concat(labels, '\t')
end

-- The labels as given; but once the hash is full, a new label set has its template and owner
-- (positions `capped`) replaced by '_other', so a caller cannot grow it without bound.
local function bounded(mkey, probe, labels, capped)
  if redis.call('HLEN', mkey) < METRIC_FIELDS_MAX then return labels end
  if redis.call('HEXISTS', mkey, metric_field(probe, labels)) == 1 then return labels end
  local copy = {}
  for i, value in ipairs(labels) do copy[i] = value end
  for _, i in ipairs(capped) do copy[i] = '_other' end
  return copy
end

local function count(mkey, name, labels, capped, by)
  labels = bounded(mkey, name, labels, capped)
  redis.call('HINCRBY', mkey, metric_field(name, labels), by or 1)
end

local function observe(mkey, name, labels, capped, value_s)
  labels = bounded(mkey, name .. '_count', labels, capped)
  local le = '+Inf'
  for _, bound in ipairs(BOUNDS_S) do
    if value_s <= bound then le = tostring(bound) break end
  end
  local bucket = {}
  for i, value in ipairs(labels) do bucket[i] = value end
  bucket[#bucket + 1] = le
  redis.call('HINCRBY', mkey, metric_field(name .. '_bucket', bucket), 1)
  redis.call('HINCRBYFLOAT', mkey, metric_field(name .. '_sum', labels), value_s)
  redis.call('HINCRBY', mkey, metric_field(name .. '_count', labels), 1)
end

-- action, template, owner and queue of a run, from its hash ('' when absent).
local function run_labels(run_key)
  local f = redis.call('HMGET', run_key, 'actionId', 'context', 'queue')
  local template, owner = '', ''
  if f[2] then
    local ok, context = pcall(cjson.decode, f[2])
    if ok and type(context) == 'table' then
      if type(context.templateRef) == 'string' then template = context.templateRef end
      if type(context.owner) == 'string' then owner = context.owner end
    end
  end
  return f[1] or '', template, owner, f[3] or ''
end

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Count a run reaching `status`: runs_completed, runs_failed, runs_cancelled with its duration,
-- or runs_retried when it goes back to open; also runs_created and runs_started.
local function count_run(mkey, run_key, status)
  local action, template, owner = run_labels(run_key)
  local name = (status == 'open') and 'runs_retried' or ('runs_' .. status)
  count(mkey, name, {action, template, owner}, {2, 3})
  if status ~= 'completed' and status ~= 'failed' and status ~= 'cancelled' then return end
  local created_ms = tonumber(redis.call('HGET', run_key, 'createdMs'))
  if created_ms then
    local seconds = math.max(0, now_ms() - created_ms) / 1000
    observe(mkey, 'run_duration_seconds', {action, template, status}, {2}, seconds)
  end
end

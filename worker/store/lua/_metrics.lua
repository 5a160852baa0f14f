-- Pool metrics, counted in the scripts that change run state, so they are exact and cover
-- the whole pool: one hash, field '<metric>\t<label values, tab-separated>' -> value.
-- worker/telemetry/metrics.py names the labels of each metric and renders them for Prometheus;
-- the constants below must equal its own (tests/unit/worker/telemetry/test_metrics.py checks).
local METRIC_FIELDS_MAX = 50000
local BOUNDS_S = {0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600}
-- Every label value is cut to this many bytes (at a UTF-8 character boundary), tabs become
-- spaces (a tab separates the labels of a field).
local LABEL_VALUE_MAX_BYTES = 64
-- At most this many distinct templates and owners ever label the metrics; a value first seen
-- after that is counted as OTHER_LABEL. The values admitted are kept in the same hash:
-- marker fields 'labels\t<dimension>\t<value>' -> 1, and 'labels\t<dimension>' -> how many
-- (the renderer skips every 'labels' field).
local TEMPLATE_LABEL_VALUES_MAX = 200
local OWNER_LABEL_VALUES_MAX = 200
local OTHER_LABEL = '_other'
local LABEL_MARKER = 'labels'
-- Of a metric's labels, the caller names the positions that come from callers (`capped`):
-- position 2 is always the template, position 3 the owner (the catalogue's order).
local CAPPED_DIMENSIONS = {[2] = 'template', [3] = 'owner'}
local LABEL_VALUES_MAX = {template = TEMPLATE_LABEL_VALUES_MAX, owner = OWNER_LABEL_VALUES_MAX}

local function metric_field(name, labels)
  return name .. '\t' .. table.concat(labels, '\t')
end

-- A label value cut to LABEL_VALUE_MAX_BYTES without splitting a UTF-8 character.
local function clipped(value)
  value = string.gsub(value, '\t', ' ')
  if #value <= LABEL_VALUE_MAX_BYTES then return value end
  local cut = LABEL_VALUE_MAX_BYTES
  while cut > 0 do
    local next_byte = string.byte(value, cut + 1)
    if next_byte < 0x80 or next_byte >= 0xC0 then break end  -- not a continuation byte
    cut = cut - 1
  end
  return string.sub(value, 1, cut)
end

-- The value itself if it labels the metrics already or there is room for one more value of
-- its dimension (then it is recorded), else OTHER_LABEL. '' (no template, no owner) is free.
local function admitted(mkey, dimension, value)
  if value == '' then return value end
  local marker = LABEL_MARKER .. '\t' .. dimension .. '\t' .. value
  if redis.call('HEXISTS', mkey, marker) == 1 then return value end
  local tally = LABEL_MARKER .. '\t' .. dimension
  if (tonumber(redis.call('HGET', mkey, tally)) or 0) >= LABEL_VALUES_MAX[dimension] then
    return OTHER_LABEL
  end
  redis.call('HSET', mkey, marker, 1)
  redis.call('HINCRBY', mkey, tally, 1)
  return value
end

-- The labels clipped, their templates and owners admitted; and once the hash is full, a new
-- label set has its templates and owners replaced by OTHER_LABEL, so no caller can grow it
-- without bound. `probe`: the field whose presence means the label set is known.
local function bounded(mkey, probe, labels, capped)
  local copy = {}
  for i, value in ipairs(labels) do copy[i] = clipped(value) end
  for _, i in ipairs(capped) do copy[i] = admitted(mkey, CAPPED_DIMENSIONS[i], copy[i]) end
  if redis.call('HLEN', mkey) < METRIC_FIELDS_MAX then return copy end
  if redis.call('HEXISTS', mkey, metric_field(probe, copy)) == 1 then return copy end
  for _, i in ipairs(capped) do copy[i] = OTHER_LABEL end
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

-- action, template, owner and queue of a run, from its hash ('' when absent), as given:
-- `count` and `observe` bound them.
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

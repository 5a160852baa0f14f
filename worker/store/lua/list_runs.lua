-- List runs, newest first, from the indexes (`worker.store.listing`): read-only.
-- The filter is clauses of indexes, all of which a run must be in (at least one index of
-- each clause). The clause with the fewest runs in the time range is walked, newest first
-- (its indexes merged); each run found is checked against the other clauses with ZSCORE.
-- KEYS: the clauses' indexes, one clause after the other
-- ARGV[1]: the clauses' sizes as a JSON list ([1, 2]: KEYS[1] is a clause, KEYS[2..3] one)
-- ARGV[2], ARGV[3]: the newest and oldest creation time (ms, inclusive; '+inf', '-inf')
-- ARGV[4]: '' or a cursor's run id: at the newest time, only runs whose id sorts before it
-- ARGV[5], ARGV[6]: most runs to answer; most index entries to look at (the scan budget)
-- ARGV[7]: the prefix of run keys (`Keys.run('')`); ARGV[8..]: the run hash fields to answer
-- Returns {next time, next id, looked at, row, row, ...}: next time and id are '' when
-- nothing is left, else the cursor of the next page; a row is the fields' values in order.
local BATCH = 100
local sizes = cjson.decode(ARGV[1])
local newest = ARGV[2] == '+inf' and math.huge or tonumber(ARGV[2])
local oldest = ARGV[3] == '-inf' and -math.huge or tonumber(ARGV[3])
local before_id, limit, budget = ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6])
local run_prefix = ARGV[7]
local fields = {}
for i = 8, #ARGV do fields[#fields + 1] = ARGV[i] end

local clauses, at = {}, 1
for c = 1, #sizes do
  local keys = {}
  for _ = 1, sizes[c] do
    keys[#keys + 1] = KEYS[at]
    at = at + 1
  end
  clauses[c] = keys
end

local function count(keys)
  local n = 0
  for _, key in ipairs(keys) do n = n + redis.call('ZCOUNT', key, ARGV[3], ARGV[2]) end
  return n
end

local walked, fewest = 1, nil
for c, keys in ipairs(clauses) do
  local n = count(keys)
  if fewest == nil or n < fewest then walked, fewest = c, n end
end

-- One index being walked: its next entries, read BATCH at a time by rank.
local function source(key)
  local rank = 0
  if newest ~= math.huge then rank = redis.call('ZCOUNT', key, '(' .. ARGV[2], '+inf') end
  return {key = key, rank = rank, buf = {}, i = 1, done = false}
end

local function head(s)
  if s.i > #s.buf and not s.done then
    local reply = redis.call('ZREVRANGE', s.key, s.rank, s.rank + BATCH - 1, 'WITHSCORES')
    s.rank, s.buf, s.i = s.rank + BATCH, {}, 1
    for j = 1, #reply, 2 do s.buf[#s.buf + 1] = {reply[j], tonumber(reply[j + 1])} end
    s.done = #reply < 2 * BATCH
  end
  return s.buf[s.i]
end

local sources = {}
for _, key in ipairs(clauses[walked]) do
  local s = source(key)
  while before_id ~= '' do -- skip what the cursor's page already went past
    local h = head(s)
    if not h or h[2] ~= newest or h[1] < before_id then break end
    s.i = s.i + 1
  end
  sources[#sources + 1] = s
end

local function next_entry()
  local best = nil
  for _, s in ipairs(sources) do
    local h = head(s)
    if h and (not best or h[2] > best[2] or (h[2] == best[2] and h[1] > best[1])) then best = h end
  end
  if not best or best[2] < oldest then return nil end
  return best
end

local function take(entry) -- a run in two walked indexes is one entry
  for _, s in ipairs(sources) do
    local h = head(s)
    if h and h[1] == entry[1] then s.i = s.i + 1 end
  end
end

local function matches(run_id)
  for c, keys in ipairs(clauses) do
    if c ~= walked then
      local inside = false
      for _, key in ipairs(keys) do
        if redis.call('ZSCORE', key, run_id) then
          inside = true
          break
        end
      end
      if not inside then return false end
    end
  end
  return true
end

local rows, looked, last = {}, 0, nil
while #rows < limit and looked < budget do
  local entry = next_entry()
  if not entry then break end
  take(entry)
  looked, last = looked + 1, entry
  if matches(entry[1]) then
    local row = redis.call('HMGET', run_prefix .. entry[1], unpack(fields))
    if row[1] then rows[#rows + 1] = row end -- a run gone meanwhile is left out
  end
end

local reply = {'', '', looked}
if last and next_entry() then
  reply[1], reply[2] = string.format('%d', last[2]), last[1]
end
for _, row in ipairs(rows) do reply[#reply + 1] = row end
return reply

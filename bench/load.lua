-- wrk script for `make bench` (bench/run.py writes the request file and reads the result).
--
-- BENCH_REQUESTS names a file of requests, one per line: METHOD<TAB>PATH<TAB>TOKEN<TAB>BODY
-- (TOKEN and BODY may be empty). Each request picks a line at random; "{{id}}" in a body
-- becomes a fresh UUID v4 (a new session per upload). Every request comes from a random
-- client address (X-Forwarded-For behind one proxy, as production sees them) over HTTPS
-- terminated at the proxy (X-Forwarded-Proto). BENCH_EXPECT lists the expected statuses.
-- At the end one line "BENCH_RESULT {json}" gives throughput, latency and the average of
-- the X-DB-Queries header (SQL statements per request; absent: none); a line
-- "BENCH_LATENCY us:count ..." gives the latency histogram (microseconds, requests), so
-- that rounds merge exactly.

local threads = {}

function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

specs = {}
expect = {}
responses = 0
unexpected = 0
queries = 0

local random = math.random

-- 48 bits from the kernel's generator: a seed made of the clock (seconds, and the CPU time
-- at start) repeated across the rounds of one run, and a round's uploads then replayed an
-- earlier round's session ids (answered 200, a retry, instead of 201).
local function random_seed()
  local source = assert(io.open("/dev/urandom", "rb"))
  local bytes = source:read(6)
  source:close()
  local seed = 0
  for i = 1, #bytes do
    seed = seed * 256 + bytes:byte(i)
  end
  return seed
end

function init(args)
  math.randomseed(random_seed())
  for line in io.lines(os.getenv("BENCH_REQUESTS")) do
    local method, path, token, body = line:match("^(%u+)\t([^\t]+)\t([^\t]*)\t(.*)$")
    table.insert(specs, { method = method, path = path, token = token, body = body })
  end
  for code in string.gmatch(os.getenv("BENCH_EXPECT") or "200", "%d+") do
    expect[tonumber(code)] = true
  end
end

local function uuid4()
  return string.format(
    "%04x%04x-%04x-4%03x-%04x-%04x%04x%04x",
    random(0, 0xffff), random(0, 0xffff), random(0, 0xffff), random(0, 0xfff),
    0x8000 + random(0, 0x3fff), random(0, 0xffff), random(0, 0xffff), random(0, 0xffff)
  )
end

function request()
  local spec = specs[random(#specs)]
  local headers = {
    ["X-Forwarded-Proto"] = "https",
    ["X-Forwarded-For"] = string.format("10.%d.%d.%d", random(0, 255), random(0, 255), random(1, 254)),
    ["Accept"] = "application/json",
  }
  if spec.token ~= "" then
    headers["Authorization"] = "Bearer " .. spec.token
  end
  local body = nil
  if spec.body ~= "" then
    body = spec.body:gsub("{{id}}", uuid4())
    headers["Content-Type"] = "application/json"
  end
  return wrk.format(spec.method, spec.path, headers, body)
end

function response(status, headers, body)
  responses = responses + 1
  if not expect[status] then
    unexpected = unexpected + 1
  end
  local count = headers["X-DB-Queries"]
  if count then
    queries = queries + tonumber(count)
  end
end

function done(summary, latency, requests)
  local total_queries, total_responses, total_unexpected = 0, 0, 0
  for _, thread in ipairs(threads) do
    total_queries = total_queries + thread:get("queries")
    total_responses = total_responses + thread:get("responses")
    total_unexpected = total_unexpected + thread:get("unexpected")
  end
  local errors = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, '
      .. '"max_us": %d, "socket_errors": %d, "responses": %d, "unexpected": %d, "queries": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, errors.connect + errors.read + errors.write + errors.timeout,
    total_responses, total_unexpected, total_queries
  ))
  -- latency(i): the i-th distinct latency recorded and how many requests took it.
  local pairs_ = {}
  for i = 1, #latency do
    local value, count = latency(i)
    table.insert(pairs_, string.format("%d:%d", value, count))
  end
  io.write("BENCH_LATENCY " .. table.concat(pairs_, " ") .. "\n")
end

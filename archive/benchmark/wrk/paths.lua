-- wrk script for `manage.py benchmark_load`: GET paths read from a file, count statuses.
--
--   WRK_PATHS=urls.txt WRK_REPORT=out.json wrk -s paths.lua http://127.0.0.1:PORT
--
-- Each line of WRK_PATHS is "<expected status> <path>" (200 for pages that
-- exist, 404 for the ids picked on purpose to be missing). Every thread picks
-- lines at random with its own seed. done() writes one JSON object to
-- WRK_REPORT: requests, duration, socket errors, latency percentiles (in
-- microseconds), responses by status, and how many requests were meant to 404.

local threads = {}
local counter = 0

local function load_paths(file)
  local list = {}
  for line in io.lines(file) do
    local expected, path = line:match("^(%d+)%s+(%S+)")
    if path then
      list[#list + 1] = { path = path, missing = expected == "404" }
    end
  end
  return list
end

function setup(thread)
  counter = counter + 1
  thread:set("thread_id", counter)
  threads[#threads + 1] = thread
end

function init(args)
  paths = load_paths(os.getenv("WRK_PATHS"))
  statuses = {}
  intended_404 = 0
  math.randomseed(os.time() + 7919 * (thread_id or 0))
end

function request()
  local entry = paths[math.random(#paths)]
  if entry.missing then
    intended_404 = intended_404 + 1
  end
  return wrk.format("GET", entry.path, { ["Accept-Language"] = "zh-hans" })
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local by_status, intended = {}, 0
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses") or {}) do
      by_status[status] = (by_status[status] or 0) + count
    end
    intended = intended + (thread:get("intended_404") or 0)
  end
  local parts = {}
  for status, count in pairs(by_status) do
    parts[#parts + 1] = string.format('"%d": %d', status, count)
  end
  local e = summary.errors
  local out = io.open(os.getenv("WRK_REPORT"), "w")
  out:write(string.format(
    '{"requests": %d, "duration_us": %d, "bytes": %d, "intended_404_requests": %d, '
      .. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, '
      .. '"latency_us": {"min": %d, "max": %d, "mean": %.1f, "p50": %d, "p90": %d, '
      .. '"p95": %d, "p99": %d}, "statuses": {%s}}\n',
    summary.requests, summary.duration, summary.bytes, intended,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.max, latency.mean, latency:percentile(50), latency:percentile(90),
    latency:percentile(95), latency:percentile(99), table.concat(parts, ", ")
  ))
  out:close()
end

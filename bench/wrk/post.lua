-- wrk script for the POST endpoints of bench/http_load.py: each request sends the JSON body given as the
-- first argument after `--`, with every "@ID@" replaced by a fresh UUID, so that an idempotent
-- create stores a new record each time. The second argument (optional) is a nonce of the run.
--   wrk ... -s bench/wrk/post.lua URL -- '{"id": "@ID@", ...}' <8 hex digits>

local counter = 0
local threads = 0
local body_template = "{}"
local prefix = "00000000"

setup = function(thread)
  threads = threads + 1
  thread:set("thread_number", threads)
end

init = function(args)
  body_template = args[1] or "{}"
  local nonce = args[2] or string.format("%08x", os.time() % 0xffffffff)
  -- Unique across threads and runs: the run's nonce, the thread's number, then a counter.
  prefix = string.sub(nonce, 1, 8)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

request = function()
  counter = counter + 1
  local id = string.format("%s-%04x-4%03x-8%03x-%012x", prefix, thread_number or 0,
                           math.floor(counter / 4096) % 4096, counter % 4096, counter)
  local body = string.gsub(body_template, "@ID@", id)
  return wrk.format(nil, nil, nil, body)
end

done = function(summary, latency, requests)
  -- 1,000 quantiles (0.1 % steps) so that bench/http_load.py can pool the latencies of several runs.
  local quantiles = {}
  for i = 1, 1000 do
    quantiles[i] = latency:percentile(i / 10)
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "connect_errors": %d, ' ..
    '"read_errors": %d, "write_errors": %d, "status_errors": %d, "timeouts": %d, ' ..
    '"mean_us": %.1f, "max_us": %d, "quantiles_us": [%s]}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency.mean, latency.max, table.concat(quantiles, ",")))
end

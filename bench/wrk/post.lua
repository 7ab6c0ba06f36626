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

-- The report at the end of the run (`done`) is get.lua's, beside this file.
dofile((string.match(debug.getinfo(1, "S").source, "^@(.*/)") or "") .. "get.lua")

-- wrk script for the GET endpoints of bench/http_load.py: the URL and headers come from the command
-- line; this only reports the run as one JSON line (after the marker) for the script to read. post.lua
-- loads this file for the same report.
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

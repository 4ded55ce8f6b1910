-- wrk script for bench/waste_depot_gate.py: each request is a gate scan (or the bare endpoint's same body).
-- Environment: GATE_CODES (file with one QR code per line), GATE_COUNT (gates), GATE_TOKEN_PREFIX.
local codes = {}
local counter = 0
local thread_index = 0
local threads = {}

function setup(thread)
  thread:set("thread_index", #threads)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(os.getenv("GATE_CODES")) do
    table.insert(codes, line)
  end
  gates = tonumber(os.getenv("GATE_COUNT"))
  prefix = os.getenv("GATE_TOKEN_PREFIX")
  step = tonumber(os.getenv("GATE_THREADS"))
  counter = thread_index
end

function request()
  -- thread t takes codes t, t+T, t+2T, ...: every code is scanned first once, then again (already-used)
  local code = codes[(counter % #codes) + 1]
  local gate = counter % gates
  counter = counter + step
  local body = '{"qrCode":"' .. code .. '","gateId":"gate-' .. gate .. '","passNumber":null}'
  return wrk.format("POST", nil, {["Content-Type"] = "application/json",
                                   ["Authorization"] = "Bearer " .. prefix .. gate}, body)
end

function done(summary, latency, requests)
  local non2xx = summary.errors.status
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format('RESULT {"requests": %d, "seconds": %.3f, "p50": %.3f, "p90": %.3f, "p99": %.3f, ' ..
    '"max": %.3f, "non2xx": %d, "errors": %d}\n', summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, non2xx, errors))
end

-- wrk script for bench/ingest.py: every request posts a CloudEvent no request sent before (own id and subject).
-- Environment: INGEST_TEMPLATE (a file holding the body with @ID@ where the unique id goes), INGEST_RUN (this
-- round's prefix), INGEST_TOKEN (bearer token).
local next_index = 0

function setup(thread)  -- each thread numbers its events with its own prefix
  thread:set("thread_index", next_index)
  next_index = next_index + 1
end

function init(args)
  local f = io.open(os.getenv("INGEST_TEMPLATE"), "r")
  template = f:read("*a")
  f:close()
  run = os.getenv("INGEST_RUN") .. "-" .. thread_index .. "-"
  headers = {["Content-Type"] = "application/cloudevents+json",
             ["Authorization"] = "Bearer " .. os.getenv("INGEST_TOKEN")}
  counter = 0
end

function request()
  counter = counter + 1
  local body = template:gsub("@ID@", run .. counter)
  return wrk.format("POST", nil, headers, body)
end

function done(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format('RESULT {"requests": %d, "seconds": %.3f, "p50": %.3f, "p99": %.3f, "non2xx": %d, ' ..
    '"errors": %d}\n', summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, summary.errors.status, errors))
end

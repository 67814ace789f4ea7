-- wrk script of the RPC benchmark (run.sh): every request is a POST of the file
-- named by $BODY_FILE with Content-Type application/json, plus the headers in
-- $HEADERS_FILE if set (one "Name: value" per line). done() prints one line
-- "RESULT key=value ..." that run.sh reads; latencies are in microseconds, and
-- rps counts only answers with a status below 400 (wrk's "requests" counts all,
-- so a server that sheds load with fast 503s would otherwise look faster).

local f = assert(io.open(os.getenv("BODY_FILE"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"

local hf = os.getenv("HEADERS_FILE")
if hf and hf ~= "" then
  for line in io.lines(hf) do
    local k, v = line:match("^([^:]+):%s*(.-)%s*$")
    if k then wrk.headers[k] = v end
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d rps=%.1f p50_us=%d p99_us=%d max_us=%d" ..
    " connect=%d read=%d write=%d timeout=%d status=%d\n",
    summary.requests, summary.duration, (summary.requests - e.status) / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.timeout, e.status))
end

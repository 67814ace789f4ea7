-- wrk script of the RPC benchmark (run.sh): every request is a POST of the file
-- named by $BODY_FILE with Content-Type application/json, plus the headers in
-- $HEADERS_FILE if set (one "Name: value" per line). done() prints one line
-- "RESULT key=value ..." that run.sh reads; latencies are in microseconds.
-- A JSON-RPC error answers HTTP 200, so response() reads every body and
-- counts an answer carrying an "error" member as a failure (rpc_errors); rps
-- counts only answers with a status below 400 and no JSON-RPC error (wrk's
-- "requests" counts all, so a server that sheds load with fast 503s or
-- refuses calls with fast errors would otherwise look faster).

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

local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

-- rpc_errors and first_error are per thread (each thread has its own Lua
-- state); done() sums them.
rpc_errors = 0
first_error = ""
first_status = ""
function response(status, headers, body)
  if status >= 400 then
    if first_status == "" then first_status = status .. " " .. (body or ""):sub(1, 200) end
  elseif body and body:find('"error"%s*:') then
    rpc_errors = rpc_errors + 1
    if first_error == "" then first_error = body:sub(1, 200) end
  end
end

-- With $SIGNED_FILE set (kit-hmac), every request carries its own pre-signed
-- service headers, one line of the file per request (see bench/rpc/signreqs):
-- a nonce is good once, so running past the end of the file replays the last
-- one and the server refuses it, which the errors column shows.
-- The requests are built in init, once wrk has set the Host header.
local signed = os.getenv("SIGNED_FILE")
if signed and signed ~= "" then
  local reqs, i = {}, 0
  function init(args)
    for line in io.lines(signed) do
      local h = {}
      for k, v in pairs(wrk.headers) do h[k] = v end
      for pair in line:gmatch("[^\t]+") do
        local k, v = pair:match("^([^:]+):%s*(.-)%s*$")
        if k then h[k] = v end
      end
      reqs[#reqs + 1] = wrk.format("POST", nil, h, wrk.body)
    end
  end
  function request()
    if i < #reqs then i = i + 1 end
    return reqs[i]
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  local rpc, first, status = 0, "", ""
  for _, t in ipairs(threads) do
    rpc = rpc + t:get("rpc_errors")
    if first == "" then first = t:get("first_error") end
    if status == "" then status = t:get("first_status") end
  end
  io.write(string.format(
    "RESULT requests=%d duration_us=%d rps=%.1f p50_us=%d p99_us=%d max_us=%d" ..
    " connect=%d read=%d write=%d timeout=%d status=%d rpc=%d\n",
    summary.requests, summary.duration, (summary.requests - e.status - rpc) / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.timeout, e.status, rpc))
  if first ~= "" then
    io.write("FIRST_RPC_ERROR " .. first:gsub("\n", " ") .. "\n")
  end
  if status ~= "" then
    io.write("FIRST_STATUS_ERROR " .. status:gsub("\n", " ") .. "\n")
  end
end

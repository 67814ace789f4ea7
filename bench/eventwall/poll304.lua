-- wrk script for eventwall's up-to-date poll (the 304 path): every request
-- carries the current cursor (in the URL, set by run.sh) and the ETag in
-- If-None-Match; done() reports how many answers were not 304.
local etag = os.getenv("WALL_ETAG")
wrk.headers["If-None-Match"] = etag

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  not304 = 0
end

function response(status, headers, body)
  if status ~= 304 then
    not304 = not304 + 1
  end
end

function done(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do
    bad = bad + t:get("not304")
  end
  io.write(string.format("answers other than 304: %d of %d\n", bad, summary.requests))
end

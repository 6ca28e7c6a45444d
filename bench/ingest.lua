-- wrk script of bench/ingest.sh: POSTs signed 1-entry graph webhook
-- payloads to /hooks/instagram, rotated over the linked users.
--
--   wrk ... -s bench/ingest.lua URL -- BODIES_FILE [THINK_MS]
--
-- BODIES_FILE has one "<X-Hub-Signature-256 value>\t<body>" line per user
-- (ingest.sh signs them with the app secret). Each wrk thread turns them
-- into ready request strings once, at init, so sending costs no formatting.
-- THINK_MS, when given, makes every connection wait that long on average
-- between an answer and its next request (wrk's delay() hook): a closed
-- loop at a chosen rate, as wrk has no rate option (wrk2 is not in Debian).
-- done() prints one machine-readable line for ingest.sh.

local requests = {}
local next_index = 1

function init(args)
  for line in io.lines(args[1]) do
    local sig, body = line:match("^([^\t]+)\t(.*)$")
    requests[#requests + 1] = wrk.format("POST", "/hooks/instagram", {
      ["Content-Type"] = "application/json",
      ["X-Hub-Signature-256"] = sig,
    }, body)
  end
  -- Threads start at different users, so they do not send in lockstep.
  next_index = (wrk.thread:get("index") or 0) * 37 % #requests + 1
  local think = tonumber(args[2] or "")
  if think and think > 0 then
    -- wrk's delay is whole milliseconds: carry the fraction over so the
    -- mean think time is THINK_MS.
    local owed = math.random() * think
    function delay()
      owed = owed + think
      local whole = math.floor(owed)
      owed = owed - whole
      return whole
    end
  end
end

function setup(thread)
  thread:set("index", setup_count or 0)
  setup_count = (setup_count or 0) + 1
end

function request()
  local r = requests[next_index]
  next_index = next_index % #requests + 1
  return r
end

function done(summary, latency, _)
  local e = summary.errors
  io.write(string.format(
    "INGEST requests=%d duration_us=%d non2xx=%d connect=%d read=%d write=%d timeout=%d "
      .. "p50_us=%d p99_us=%d max_us=%d\n",
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end

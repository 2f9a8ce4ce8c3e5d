-- What the wrk scripts of bench/ share (store_kv.lua, scale.lua): the script
-- checks every response and reports a bad one here; this module keeps the
-- threads (wrk's setup hook), counts the bad answers per thread with the first
-- one's text, and prints the one line the bench scripts parse:
-- "<TAG> {json}" with the counts, the socket errors and the latency
-- percentiles (us). Load it with
--   package.path = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "?.lua;" .. package.path
--   local checked = require("wrk_checked")

local checked = {}

-- main state: the threads, to sum their counters in report()
local threads = {}
function setup(thread)
   thread:set("id", #threads + 1)
   table.insert(threads, thread)
end

-- per-thread state, read by report() through thread:get
bad = 0
first_bad = ""

function checked.bad(status, body)
   if bad == 0 then first_bad = status .. " " .. string.sub(body or "", 1, 200) end
   bad = bad + 1
end

function checked.report(tag, summary, latency)
   local nbad, first = 0, ""
   for _, t in ipairs(threads) do
      local b = t:get("bad") or 0
      if b > 0 and first == "" then first = t:get("first_bad") or "" end
      nbad = nbad + b
   end
   local e = summary.errors
   io.write(string.format(
      '%s {"requests":%d,"duration_us":%d,"rps":%.1f,"p50_us":%d,"p90_us":%d,' ..
      '"p99_us":%d,"max_us":%d,"bad":%d,"connect":%d,"read":%d,"write":%d,"status":%d,' ..
      '"timeout":%d,"socket_errors":%d,"first_bad":"%s"}\n',
      tag, summary.requests, summary.duration, summary.requests / summary.duration * 1e6,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
      nbad, e.connect, e.read, e.write, e.status, e.timeout,
      e.connect + e.read + e.write + e.status + e.timeout, (first:gsub('[%c"\\]', "?"))))
end

return checked

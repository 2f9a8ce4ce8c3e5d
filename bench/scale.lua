-- wrk script for bench/run-scale: one kind of request against our API gateway,
-- every response checked (a non-200, or a body without SCALE_WANT, counts as
-- bad). SCALE_OP picks the request:
--   call     GET /helloworld/Call?name=Alice
--   get      POST /registry/GetService {"service":"helloworld"}
--   read     POST /store/read of a random key among SCALE_KEYS (k0000000 ...)
-- SCALE_AUTH is the Authorization header value. done() prints one line
-- "SCALE_BENCH {json}" with the counts and latency percentiles (us).

local op = os.getenv("SCALE_OP") or "call"
local nkeys = tonumber(os.getenv("SCALE_KEYS") or "1")
local want = os.getenv("SCALE_WANT") or ""
local auth = os.getenv("SCALE_AUTH") or ""

local threads = {}
function setup(thread)
   thread:set("id", #threads + 1)
   table.insert(threads, thread)
end

local headers = { ["Content-Type"] = "application/json" }
local fixed
bad = 0
first_bad = ""
function init(args)
   math.randomseed(os.time() * 100 + (id or 0))
   if auth ~= "" then headers["Authorization"] = auth end
   if op == "call" then
      fixed = wrk.format("GET", "/helloworld/Call?name=Alice", headers)
   elseif op == "get" then
      fixed = wrk.format("POST", "/registry/GetService", headers, '{"service":"helloworld"}')
   end
end

function request()
   if fixed then return fixed end
   return wrk.format("POST", "/store/read", headers,
                     string.format('{"key":"k%07d"}', math.random(0, nkeys - 1)))
end

function response(status, hdrs, body)
   local ok = status == 200 and (want == "" or (body and body:find(want, 1, true) ~= nil))
   if not ok then
      if bad == 0 then first_bad = status .. " " .. string.sub(body or "", 1, 200) end
      bad = bad + 1
   end
end

function done(summary, latency, reqs)
   local nbad, first = 0, ""
   for _, t in ipairs(threads) do
      local b = t:get("bad") or 0
      if b > 0 and first == "" then first = t:get("first_bad") or "" end
      nbad = nbad + b
   end
   local e = summary.errors
   io.write(string.format(
      'SCALE_BENCH {"requests":%d,"duration_us":%d,"rps":%.1f,"p50_us":%d,"p99_us":%d,' ..
      '"max_us":%d,"bad":%d,"socket_errors":%d,"first_bad":"%s"}\n',
      summary.requests, summary.duration, summary.requests / summary.duration * 1e6,
      latency:percentile(50), latency:percentile(99), latency.max, nbad,
      e.connect + e.read + e.write + e.status + e.timeout, first:gsub('[%c"\\]', "?")))
end

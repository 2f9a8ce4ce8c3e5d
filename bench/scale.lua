-- wrk script for bench/run-scale: one kind of request against our API gateway,
-- every response checked (a non-200, or a body without SCALE_WANT, counts as
-- bad). SCALE_OP picks the request:
--   call     GET /helloworld/Call?name=Alice
--   get      POST /registry/GetService {"service":"helloworld"}
--   read     POST /store/read of a random key among SCALE_KEYS (k0000000 ...)
-- SCALE_AUTH is the Authorization header value. done() prints one line
-- "SCALE_BENCH {json}" with the counts and latency percentiles (us).

package.path = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "?.lua;" .. package.path
local checked = require("wrk_checked")   -- threads, bad answers, the summary line

local op = os.getenv("SCALE_OP") or "call"
local nkeys = tonumber(os.getenv("SCALE_KEYS") or "1")
local want = os.getenv("SCALE_WANT") or ""
local auth = os.getenv("SCALE_AUTH") or ""

local headers = { ["Content-Type"] = "application/json" }
local fixed
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
   if not ok then checked.bad(status, body) end
end

function done(summary, latency, reqs)
   checked.report("SCALE_BENCH", summary, latency)
end

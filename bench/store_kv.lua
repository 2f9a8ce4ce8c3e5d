-- wrk script for bench/run-store: key/value writes or reads over HTTP/JSON, on
-- our API gateway (POST /store/write, /store/read) or on etcd's JSON gateway
-- (POST /v3/kv/put, /v3/kv/range), so both are driven by the same client the
-- same way. Each request picks a random key k<n> in [0, STORE_KEYS); writes
-- carry the same 100-byte value (STORE_VALUE_B64). Every response is checked:
-- a non-200 status, or a read whose body holds no record, counts as bad, so a
-- run that measured errors is visible (run-store fails on any). done() prints
-- one line "STORE_BENCH {json}" with the counts and the latency percentiles.
--
-- Environment: STORE_TARGET micro|etcd, STORE_OP write|read, STORE_KEYS (count),
-- STORE_VALUE_B64 (base64 value), STORE_AUTH (the Authorization header value).

package.path = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "?.lua;" .. package.path
local checked = require("wrk_checked")   -- threads, bad answers, the summary line

local target = os.getenv("STORE_TARGET") or "micro"
local op = os.getenv("STORE_OP") or "read"
local nkeys = tonumber(os.getenv("STORE_KEYS") or "10000")
local value = os.getenv("STORE_VALUE_B64") or ""
local auth = os.getenv("STORE_AUTH") or ""

-- Keys are base64 in etcd's JSON gateway (bytes fields); ours are strings.
local b64chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local function base64(s)
   local out = {}
   for i = 1, #s, 3 do
      local a, b, c = s:byte(i, i + 2)
      local n = a * 65536 + (b or 0) * 256 + (c or 0)
      local q = {}
      for j = 3, 0, -1 do
         local v = math.floor(n / 64 ^ j) % 64
         q[#q + 1] = b64chars:sub(v + 1, v + 1)
      end
      if not b then q[3] = "=" end
      if not c then q[4] = "=" end
      out[#out + 1] = table.concat(q)
   end
   return table.concat(out)
end

local paths = {
   micro = { write = "/store/write", read = "/store/read" },
   etcd = { write = "/v3/kv/put", read = "/v3/kv/range" },
}
-- what a successful read's body must contain (a 200 with no record is a miss)
local found = { micro = '"records":[', etcd = '"kvs":[' }

local function body_for(key)
   if target == "etcd" then
      if op == "write" then
         return string.format('{"key":"%s","value":"%s"}', base64(key), value)
      end
      return string.format('{"key":"%s"}', base64(key))
   end
   if op == "write" then
      return string.format('{"record":{"key":"%s","value":"%s"}}', key, value)
   end
   return string.format('{"key":"%s"}', key)
end

-- per-thread state: every request is built once here, so request() only picks one
local requests = {}
function init(args)
   math.randomseed(os.time() * 100 + (id or 0))
   local headers = { ["Content-Type"] = "application/json" }
   if auth ~= "" then headers["Authorization"] = auth end
   local path = paths[target][op]
   for n = 0, nkeys - 1 do
      requests[n + 1] = wrk.format("POST", path, headers, body_for("k" .. n))
   end
end

function request()
   return requests[math.random(nkeys)]
end

function response(status, headers, body)
   local ok = status == 200
   if ok and op == "read" then
      ok = body ~= nil and body:find(found[target], 1, true) ~= nil
   end
   if not ok then checked.bad(status, body) end
end

function done(summary, latency, reqs)
   checked.report("STORE_BENCH", summary, latency)
end

-- PATCH /scim/v2/Users/<id> Okta-style, alternating active false / true (both real writes).
package.path = "bench/wrk/?.lua;" .. package.path
local c = require("common")
local ids = {}
for line in io.lines(os.getenv("BENCH_IDS")) do ids[#ids + 1] = line end
local n = 0
function init(args) math.randomseed(os.time()) end
function request()
  n = n + 1
  local active = (n % 2 == 0) and "true" or "false"
  local body = '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],' ..
    '"Operations":[{"op":"replace","value":{"active":' .. active .. '}}]}'
  return wrk.format("PATCH", "/scim/v2/Users/" .. ids[math.random(1, #ids)], c.headers, body)
end

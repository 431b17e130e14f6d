-- GET /scim/v2/Users?startIndex=<random>&count=100: pages of 100 anywhere in the list.
package.path = "bench/wrk/?.lua;" .. package.path
local c = require("common")
function init(args) math.randomseed(os.time()) end
function request()
  local start = math.random(0, math.floor(c.users / 100) - 1) * 100 + 1
  return wrk.format("GET", "/scim/v2/Users?startIndex=" .. start .. "&count=100", c.headers)
end

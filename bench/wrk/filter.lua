-- GET /scim/v2/Users?filter=userName eq "<a loaded user>" (what Okta sends before a create).
package.path = "bench/wrk/?.lua;" .. package.path
local c = require("common")
function init(args) math.randomseed(os.time()) end
function request()
  local i = math.random(0, c.users - 1)
  local path = "/scim/v2/Users?filter=userName%20eq%20%22user-" .. i .. "%40bench.example.com%22"
  return wrk.format("GET", path, c.headers)
end

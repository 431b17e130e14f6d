-- POST /scim/v2/Users with a unique userName per request. `tid` is a global set per
-- thread by setup() (a local here would shadow it and make both threads collide).
package.path = "bench/wrk/?.lua;" .. package.path
local c = require("common")
local counter = 0
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
function request()
  counter = counter + 1
  local name = string.format("wrk-%d-%d-%d@bench.example.com", tid, os.time(), counter)
  local body = '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"' .. name ..
    '","emails":[{"value":"' .. name .. '","primary":true}],"active":true}'
  return wrk.format("POST", "/scim/v2/Users", c.headers, body)
end

-- Shared by the SCIM wrk scripts: auth header and a per-thread random generator.
local M = {}
M.token = os.getenv("BENCH_TOKEN")
M.users = tonumber(os.getenv("BENCH_USERS") or "1000")
M.headers = { ["Authorization"] = "Bearer " .. M.token, ["Content-Type"] = "application/scim+json" }
return M

-- wrk script: a resident reads its own applications (getApplication), each id in turn.
--   wrk -t2 -c16 -d10s --latency -s read.lua http://127.0.0.1:PORT -- IDS_FILE ACCESS_TOKEN
-- IDS_FILE holds one application id per line. Requests are built once, in init.
local requests, n, i = {}, 0, 0

function init(args)
  local headers = { ["Authorization"] = "Bearer " .. args[2] }
  for id in io.lines(args[1]) do
    if id ~= "" then
      n = n + 1
      requests[n] = wrk.format("GET", "/v1/applications/" .. id, headers)
    end
  end
  assert(n > 0, "no ids in " .. args[1])
  -- Threads start at different places so that they do not read the same rows in step.
  i = math.random(n)
end

function request()
  i = i % n + 1
  return requests[i]
end

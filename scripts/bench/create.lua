-- wrk script: a resident creates and submits applications (createApplication), each request with
-- its own Idempotency-Key, as a retrying client would send them.
--   wrk -t2 -c16 -d10s --latency -s create.lua http://127.0.0.1:PORT -- ACCESS_TOKEN SERVICE_ID RUN_ID
-- RUN_ID keeps the keys of one run apart from those of earlier runs on the same database.
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("thread_no", threads)
end

local prefix, counter = "", 0

function init(args)
  wrk.method = "POST"
  wrk.path = "/v1/applications"
  wrk.headers["Authorization"] = "Bearer " .. args[1]
  wrk.headers["Content-Type"] = "application/json"
  wrk.body = '{"service_id":"' .. args[2] .. '","submit":true,"form_data":'
    .. '{"full_name":"Bench Writer","macao_id":"1234567(3)","travel_date":"2026-12-20","companions":1}}'
  prefix = args[3] .. "-" .. tostring(thread_no) .. "-"
end

function request()
  counter = counter + 1
  wrk.headers["Idempotency-Key"] = prefix .. counter
  return wrk.format()
end

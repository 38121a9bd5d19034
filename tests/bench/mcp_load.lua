-- wrk load script for scripts/bench: tools/call over Streamable HTTP, or a plain GET through the nginx hop.
-- Arguments (after `--`): MODE FILE [ARGUMENTS] [TOOL]
--   MODE  legacy  : POST /mcp with the session's Mcp-Session-Id (sessions opened beforehand by the driver)
--         2026    : stateless POST /mcp with _meta and Mcp-Method / Mcp-Name headers (protocol 2026-07-28)
--         get     : GET of the Graph request graphgate makes for the tool (the nginx column)
--   FILE  one line per credential, tab-separated: bearer token, then the session id (legacy) or the path (get)
--   ARGUMENTS the tool's arguments as JSON (default {"page_size":25}); TOOL its name (default list_messages)
-- Every request names a different client address (X-Forwarded-For from the trusted loopback proxy), so per-address
-- limits do not answer instead of the tools; per-person budgets are raised by the driver.
-- A response counts as an error unless it is HTTP 200 with no JSON-RPC error and no tool error.

local counter = 0
local threads = {}
local thread_index = 0

function setup(thread)
  thread_index = thread_index + 1
  thread:set("offset", thread_index * 7919)
  table.insert(threads, thread)
end

local entries = {}
local mode, tool_body_legacy, tool_body_2026
errors = 0
sample = ""

function init(args)
  mode = args[1]
  for line in io.lines(args[2]) do
    local token, extra = line:match("^([^\t]+)\t([^\t]+)$")
    if token then table.insert(entries, { token = token, extra = extra }) end
  end
  counter = offset or 0
  local arguments = args[3] or '{"page_size":25}'
  local tool = args[4] or "list_messages"
  tool_body_legacy = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"' .. tool ..
    '","arguments":' .. arguments .. '}}'
  tool_body_2026 = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"' .. tool ..
    '","arguments":' .. arguments .. ',"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28",' ..
    '"io.modelcontextprotocol/clientCapabilities":{},' ..
    '"io.modelcontextprotocol/clientInfo":{"name":"graphgate-bench","version":"1"}}}}'
  tool_name = tool
end

local function address()
  return string.format("198.%d.%d.%d", 18 + math.floor(counter / 62500) % 2, math.floor(counter / 250) % 250,
    counter % 250 + 1)
end

function request()
  counter = counter + 1
  local e = entries[counter % #entries + 1]
  local headers = { ["Authorization"] = "Bearer " .. e.token, ["X-Forwarded-For"] = address() }
  if mode == "get" then
    return wrk.format("GET", e.extra, headers, nil)
  end
  headers["Content-Type"] = "application/json"
  headers["Accept"] = "application/json, text/event-stream"
  if mode == "legacy" then
    headers["MCP-Protocol-Version"] = "2025-06-18"
    headers["Mcp-Session-Id"] = e.extra
    return wrk.format("POST", "/mcp", headers, tool_body_legacy)
  end
  headers["MCP-Protocol-Version"] = "2026-07-28"
  headers["Mcp-Method"] = "tools/call"
  headers["Mcp-Name"] = tool_name
  return wrk.format("POST", "/mcp", headers, tool_body_2026)
end

-- Whether `body` has the JSON member `key` with a value starting `value` (blanks allowed around the colon).
-- Plain searches for the key and an anchored match after each: the same answer as one pattern over the body, at a
-- fraction of wrk's CPU (which shares the machine with graphgate).
local function has_member(body, key, value)
  local from = 1
  while true do
    local _, last = body:find(key, from, true)
    if not last then return false end
    if body:find("^%s*:%s*" .. value, last + 1) then return true end
    from = last + 1
  end
end

function response(status, headers, body)
  local bad = status ~= 200
  if not bad and mode ~= "get" then
    bad = has_member(body, '"isError"', "true") or has_member(body, '"error"', "{")
  end
  if bad then
    errors = errors + 1
    if sample == "" then sample = tostring(status) .. " " .. body:sub(1, 300) end
  end
end

function done(summary, latency, requests)
  local errs, first = 0, ""
  for _, thread in ipairs(threads) do
    errs = errs + (thread:get("errors") or 0)
    local s = thread:get("sample") or ""
    if first == "" then first = s end
  end
  io.write(string.format(
    'RESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"errors":%d,"socket_errors":%d,"sample":%q}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), errs,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    first))
end

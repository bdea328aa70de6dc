-- The many-tenant phase's requests for wrk: cached orders_get calls spread over many tenants, keys,
-- stores and orders (bench/odbench/tenants.py writes the data and runs wrk with this script).
-- Configured by the environment (secrets stay in the 0700 work directory, never on wrk's command line):
--   WRK_TENANTS_FILE  lines "T key1 key2 session1 session2 store1 store2" (a tenant; its line number is
--                     its Zipf rank), each followed by two lines "O id id …" (the orders of store1 and
--                     store2; an order's position is its Zipf rank)
--   WRK_SHAPE         session: 2025-11-25 on the key's own session (Mcp-Session-Id); stateless:
--                     2026-07-28 (no session, _meta and routing headers). Both pass `store`.
--   WRK_ZIPF_S        the Zipf exponent s (default 1.1): rank r is drawn with probability ∝ 1/r^s
--   WRK_SEED          seed of the draws (with the thread's index); runs with different seeds draw
--                     different sequences (the same seed would replay the previous run's calls, all
--                     of them answered from the order cache)
--   WRK_EXPECT, WRK_COUNT, WRK_STOP_AFTER, WRK_OUT, WRK_THREADS: as in wrk_call.lua
-- Each request draws a tenant (Zipf), one of its two keys and one of its two stores (uniformly) and an
-- order of that store (Zipf). The draws are seeded (WRK_SEED and the thread), so a run is repeatable.
-- Latencies are written in microseconds, as wrk measures them.

local threads = {}
local thread_count = 0

function setup(thread)
    thread_count = thread_count + 1
    thread:set("tindex", thread_count - 1)
    table.insert(threads, thread)
end

local tenants, tenant_cdf, order_cdf = {}, nil, nil
local shape, expects, count_marker, stop_after
local answers = 0
good, bad_status, bad_body, counted = 0, 0, 0, 0
first_bad = ""
used = {} -- key index (2 * tenant + k) -> true: keys this thread sent

local function split_words(line)
    local out = {}
    for w in string.gmatch(line, "%S+") do table.insert(out, w) end
    return out
end

local function split_lines(text)
    local out = {}
    for line in string.gmatch(text or "", "[^\r\n]+") do table.insert(out, line) end
    return out
end

-- Cumulative probabilities of ranks 1..n under Zipf(s).
local function zipf_cdf(n, s)
    local cdf, sum = {}, 0
    for r = 1, n do
        sum = sum + 1 / (r ^ s)
        cdf[r] = sum
    end
    for r = 1, n do cdf[r] = cdf[r] / sum end
    return cdf
end

-- The rank whose cumulative probability first reaches a uniform draw (binary search).
local function draw(cdf)
    local u = math.random()
    local lo, hi = 1, #cdf
    while lo < hi do
        local mid = math.floor((lo + hi) / 2)
        if cdf[mid] < u then lo = mid + 1 else hi = mid end
    end
    return lo
end

local function meta_json()
    return '"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28",'
        .. '"io.modelcontextprotocol/clientCapabilities":{},'
        .. '"io.modelcontextprotocol/clientInfo":{"name":"bench","version":"1"}}'
end

function init(args)
    local tindex = tindex or 0
    math.randomseed(7919 * tonumber(os.getenv("WRK_SEED") or "1") + 104729 * tindex)
    shape = os.getenv("WRK_SHAPE") or "stateless"
    expects = split_lines(os.getenv("WRK_EXPECT"))
    count_marker = os.getenv("WRK_COUNT")
    if count_marker == "" then count_marker = nil end
    local current
    local max_orders = 0
    for line in io.lines(os.getenv("WRK_TENANTS_FILE")) do
        local w = split_words(line)
        if w[1] == "T" then
            current = { keys = { w[2], w[3] }, sessions = { w[4], w[5] }, stores = { w[6], w[7] }, orders = {} }
            table.insert(tenants, current)
        elseif w[1] == "O" then
            table.remove(w, 1)
            table.insert(current.orders, w)
            if #w > max_orders then max_orders = #w end
        end
    end
    if #tenants == 0 then error("no tenants in WRK_TENANTS_FILE") end
    local s = tonumber(os.getenv("WRK_ZIPF_S") or "1.1")
    tenant_cdf = zipf_cdf(#tenants, s)
    order_cdf = zipf_cdf(max_orders, s)
    local nthreads = tonumber(os.getenv("WRK_THREADS") or "1")
    local total = tonumber(os.getenv("WRK_STOP_AFTER") or "")
    if total then stop_after = math.ceil(total / nthreads) end
end

function request()
    local t = draw(tenant_cdf)
    local tenant = tenants[t]
    local k = math.random(2)
    local s = math.random(2)
    local orders = tenant.orders[s]
    local order = orders[(draw(order_cdf) - 1) % #orders + 1]
    used[2 * t + k - 2] = true
    local headers = {
        ["Authorization"] = "Bearer " .. tenant.keys[k],
        ["Content-Type"] = "application/json",
        ["Accept"] = "application/json, text/event-stream",
    }
    local params = '"name":"orders_get","arguments":{"order_id":"' .. order .. '","store":"' .. tenant.stores[s] .. '"}'
    if shape == "session" then
        headers["Mcp-Session-Id"] = tenant.sessions[k]
        headers["MCP-Protocol-Version"] = "2025-11-25"
    else
        headers["MCP-Protocol-Version"] = "2026-07-28"
        headers["Mcp-Method"] = "tools/call"
        headers["Mcp-Name"] = "orders_get"
        params = params .. "," .. meta_json()
    end
    local body = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{' .. params .. '}}'
    return wrk.format("POST", nil, headers, body)
end

local function lacks_expected(body)
    for _, expect in ipairs(expects) do
        if not string.find(body, expect, 1, true) then return true end
    end
    return false
end

function response(status, hdrs, body)
    answers = answers + 1
    if status ~= 200 then
        bad_status = bad_status + 1
        if first_bad == "" then first_bad = "HTTP " .. status .. ": " .. string.sub(body or "", 1, 300) end
    elseif lacks_expected(body or "") then
        bad_body = bad_body + 1
        if first_bad == "" then first_bad = string.sub(body or "", 1, 300) end
    else
        good = good + 1
        if count_marker and string.find(body, count_marker, 1, true) then counted = counted + 1 end
    end
    if stop_after and answers == stop_after then
        local f = io.open(os.getenv("WRK_OUT") .. ".stopped." .. tindex, "w")
        if f then f:close() end
        wrk.thread:stop()
    end
end

local function json_string(s)
    s = string.gsub(s or "", '[%c"\\]', function(c)
        if c == '"' then return '\\"' end
        if c == "\\" then return "\\\\" end
        return string.format("\\u%04x", string.byte(c))
    end)
    return '"' .. s .. '"'
end

function done(summary, latency, requests)
    local totals = { good = 0, bad_status = 0, bad_body = 0, counted = 0 }
    local first = ""
    local keys_used = {}
    local distinct = 0
    for _, t in ipairs(threads) do
        for k, _ in pairs(totals) do totals[k] = totals[k] + (t:get(k) or 0) end
        local fb = t:get("first_bad")
        if first == "" and fb and fb ~= "" then first = fb end
        for key, _ in pairs(t:get("used") or {}) do
            if not keys_used[key] then
                keys_used[key] = true
                distinct = distinct + 1
            end
        end
    end
    local e = summary.errors
    local parts = {
        '"duration_us": ' .. summary.duration,
        '"requests": ' .. summary.requests,
        '"bytes": ' .. summary.bytes,
        '"good": ' .. totals.good,
        '"bad_status": ' .. totals.bad_status,
        '"bad_body": ' .. totals.bad_body,
        '"counted": ' .. totals.counted,
        '"keys_used": ' .. distinct,
        '"lua": "wrk_tenants.lua"',
        '"socket_errors": {"connect": ' .. e.connect .. ', "read": ' .. e.read .. ', "write": ' .. e.write
            .. ', "status": ' .. e.status .. ', "timeout": ' .. e.timeout .. '}',
        '"latency_us": {"min": ' .. latency.min .. ', "mean": ' .. string.format("%.1f", latency.mean)
            .. ', "stdev": ' .. string.format("%.1f", latency.stdev) .. ', "max": ' .. latency.max
            .. ', "p50": ' .. latency:percentile(50) .. ', "p90": ' .. latency:percentile(90)
            .. ', "p99": ' .. latency:percentile(99) .. ', "p999": ' .. latency:percentile(99.9) .. '}',
        '"first_bad": ' .. json_string(first),
    }
    local out = os.getenv("WRK_OUT")
    local f = assert(io.open(out, "w"))
    f:write("{" .. table.concat(parts, ", ") .. "}\n")
    f:close()
end

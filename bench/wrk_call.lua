-- One HTTP request shape for wrk, configured by the environment (bench/run.sh and bench/bench.py
-- set it; secrets never appear on wrk's command line):
--   WRK_METHOD       GET or POST (default POST)
--   WRK_BODY         request body; "{ID}" is replaced by an id from WRK_IDS_FILE, "{N}" by a counter
--   WRK_HEADERS      "Name: value" lines separated by newlines
--   WRK_IDS_FILE     optional: one id per line; thread t of T uses ids t, t+T, t+2T, … in turn, so
--                    requests in flight never share an id (as long as a thread's share of ids
--                    exceeds its connections)
--   WRK_EXPECT       substrings every good answer contains (besides HTTP 200), one per line
--   WRK_COUNT        optional: a substring to count (e.g. "cached":true), reported as `counted`
--   WRK_STOP_AFTER   optional: stop once this many answers arrived (split evenly over threads);
--                    each thread then creates WRK_OUT.stopped.<thread>, and bench.py sends wrk
--                    SIGINT once all exist (wrk itself only stops when its duration is over)
--   WRK_OUT          where done() writes its JSON summary
-- Latencies are written in microseconds, as wrk measures them.

local threads = {}
local thread_count = 0

function setup(thread)
    thread_count = thread_count + 1
    thread:set("tindex", thread_count - 1)
    table.insert(threads, thread)
end

local method, body_template, headers, expects, count_marker
local ids, stop_after, fixed_request
local n, answers = 0, 0
good, bad_status, bad_body, counted = 0, 0, 0, 0
first_bad = ""

local function split_lines(text)
    local out = {}
    for line in string.gmatch(text or "", "[^\r\n]+") do
        table.insert(out, line)
    end
    return out
end

function init(args)
    method = os.getenv("WRK_METHOD") or "POST"
    body_template = os.getenv("WRK_BODY")
    expects = split_lines(os.getenv("WRK_EXPECT"))
    count_marker = os.getenv("WRK_COUNT")
    if count_marker == "" then count_marker = nil end
    headers = {}
    for _, line in ipairs(split_lines(os.getenv("WRK_HEADERS"))) do
        local name, value = string.match(line, "^([^:]+):%s*(.*)$")
        if name then headers[name] = value end
    end
    local nthreads = tonumber(os.getenv("WRK_THREADS") or "1")
    local tindex = tindex or 0
    local ids_file = os.getenv("WRK_IDS_FILE")
    if ids_file and ids_file ~= "" then
        ids = {}
        local i = 0
        for line in io.lines(ids_file) do
            if line ~= "" then
                if i % nthreads == tindex then table.insert(ids, line) end
                i = i + 1
            end
        end
        if #ids == 0 then error("no ids for thread " .. tindex .. " in " .. ids_file) end
    end
    local total = tonumber(os.getenv("WRK_STOP_AFTER") or "")
    if total then stop_after = math.ceil(total / nthreads) end
    if not ids and not (body_template and string.find(body_template, "{N}", 1, true)) then
        fixed_request = wrk.format(method, nil, headers, body_template)
    end
end

function request()
    if fixed_request then return fixed_request end
    n = n + 1
    local body = body_template
    if ids then
        local id = ids[(n - 1) % #ids + 1]
        body = string.gsub(body, "{ID}", id)
    end
    body = string.gsub(body, "{N}", tostring(n) .. "-" .. tostring(tindex))
    return wrk.format(method, nil, headers, body)
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
        -- wrk ends only when its duration is over or on SIGINT: tell bench.py this thread is done.
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
    for _, t in ipairs(threads) do
        for k, _ in pairs(totals) do totals[k] = totals[k] + (t:get(k) or 0) end
        local fb = t:get("first_bad")
        if first == "" and fb and fb ~= "" then first = fb end
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

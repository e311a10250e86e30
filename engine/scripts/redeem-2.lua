--[[
  Redeem a quote exactly once, by the Redis server's clock: check it exists, matches, is not redeemed by
  another key and has not expired; then mark it redeemed, keep the response for replays of the same
  Idempotency-Key of the same caller, append a `redeemed` event and tell every gateway, all in one atomic step.

  KEYS[1]  quote record                {fx:s}:q:<id>   (see lock-n.lua; a hash when an earlier version wrote it)
  KEYS[2]  lifecycle event stream      {fx:s}:events
  ARGV[1]  quote id
  ARGV[2]  the redeeming key's name as JSON (an Idempotency-Key is scoped to its caller)
  ARGV[3]  Idempotency-Key
  ARGV[4]  corridor to match, or ''
  ARGV[5]  send amount to match (canonical decimal: no trailing zeros), or ''
  ARGV[6]  receive amount to match (canonical decimal: no trailing zeros), or ''
  ARGV[7]  event stream MAXLEN (approximate)
  ARGV[8]  pub/sub channel told of every first redeem: owner JSON '\n' body (gateways push quote_redeemed
           to the owner's locking socket)

  A redeemed record:  'R\n' expiresAt '\n' owner '\n' lock fingerprint '\n' redeemedAt '\n' caller '\n' Idempotency-Key '\n' body

  Returns  { 0 (OK), body }          redeemed now
           { 1 (REPLAY), body }      redeemed before by this caller with this key: the same body
           { 3 (NOT_FOUND) } | { 4 (EXPIRED) } | { 5 (ALREADY_REDEEMED) } | { 6 (AMOUNT_MISMATCH) }
]]
local v = redis.pcall('GET', KEYS[1])
if type(v) == 'table' and v.err then
  -- written by an earlier version: a hash, no owner or caller recorded (its replay matches on the key alone)
  local h = redis.call('HMGET', KEYS[1], 'terms', 'st', 'exp', 'rat', 'rk', 'rsp')
  if not h[1] then return { 3 } end
  v = h[2] == 'redeemed' and ('R\n' .. h[3] .. '\n\n\n' .. h[4] .. '\n\n' .. h[5] .. '\n' .. h[6]) or ('L\n' .. h[3] .. '\n\n\n' .. h[1])
end
if not v then return { 3 } end
local st, exp, owner, fp, rest = string.match(v, '^(%a)\n(%d+)\n([^\n]*)\n([^\n]*)\n(.*)$')
local redeemed = st == 'R'
local at, caller, key, json
if redeemed then
  at, caller, key, json = string.match(rest, '^([^\n]*)\n([^\n]*)\n([^\n]*)\n(.*)$')
else
  json = rest
end

-- "1000.50" -> "1000.5", "1000.00" -> "1000": amounts are compared as numbers
local function canonical(s)
  if not string.find(s, '.', 1, true) then return s end
  s = string.gsub(s, '0+$', '')
  return (string.gsub(s, '%.$', ''))
end
local corridor = string.match(json, '"corridor":"([^"]*)"')
local send = string.match(json, '"sendAmount":"([^"]*)"')
local receive = string.match(json, '"receiveAmount":"([^"]*)"')
if (ARGV[4] ~= '' and ARGV[4] ~= corridor) or (ARGV[5] ~= '' and ARGV[5] ~= canonical(send)) or
  (ARGV[6] ~= '' and ARGV[6] ~= canonical(receive)) then
  return { 6 }
end
if redeemed then
  if key == ARGV[3] and (caller == ARGV[2] or caller == '') then return { 1, json } end
  return { 5 }
end

local t = redis.call('TIME')
local nowMs = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if nowMs >= tonumber(exp) then return { 4 } end

-- epoch ms -> ISO 8601 UTC (days-from-civil inverse, H. Hinnant), as Date.prototype.toISOString prints it
local function iso(ms)
  local secs = math.floor(ms / 1000)
  local days = math.floor(secs / 86400)
  local rem = secs - days * 86400
  local z = days + 719468
  local era = math.floor(z / 146097)
  local doe = z - era * 146097
  local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524) - math.floor(doe / 146096)) / 365)
  local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
  local mp = math.floor((5 * doy + 2) / 153)
  local d = doy - math.floor((153 * mp + 2) / 5) + 1
  local m = mp < 10 and mp + 3 or mp - 9
  local y = yoe + era * 400 + (m <= 2 and 1 or 0)
  return string.format('%04d-%02d-%02dT%02d:%02d:%02d.%03dZ', y, m, d,
    math.floor(rem / 3600), math.floor((rem % 3600) / 60), rem % 60, ms % 1000)
end

local redeemedAt = iso(nowMs)
local body = string.sub(json, 1, -2) .. ',"status":"redeemed","redeemedAt":"' .. redeemedAt .. '"}'
-- SET replaces an earlier version's hash too; KEEPTTL keeps expiresAt + retention
redis.call('SET', KEYS[1], 'R\n' .. exp .. '\n' .. owner .. '\n' .. fp .. '\n' .. redeemedAt .. '\n' .. ARGV[2] .. '\n' .. ARGV[3] .. '\n' .. body, 'KEEPTTL')
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[7], '*', 'type', 'redeemed', 'id', ARGV[1], 'corridor', corridor,
  'sendAmount', send, 'receiveAmount', receive, 'redeemedAt', redeemedAt)
redis.call('PUBLISH', ARGV[8], owner .. '\n' .. body)
return { 0, body }

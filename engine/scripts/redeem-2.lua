--[[
  Redeem a quote exactly once, by the Redis server's clock: check it exists, matches, is not redeemed by
  another key and has not expired; then mark it redeemed, keep the response for replays of the same
  Idempotency-Key, and append a `redeemed` event, all in one atomic step.

  KEYS[1]  quote hash                  {fx:s}:q:<id>
  KEYS[2]  lifecycle event stream      {fx:s}:events
  ARGV[1]  quote id
  ARGV[2]  Idempotency-Key
  ARGV[3]  corridor to match, or ''
  ARGV[4]  send amount to match (canonical decimal: no trailing zeros), or ''
  ARGV[5]  receive amount to match (canonical decimal: no trailing zeros), or ''
  ARGV[6]  event stream MAXLEN (approximate)
  ARGV[7]  pub/sub channel told of every first redeem (gateways push quote_redeemed to the locking socket)

  Returns  { 0 (OK), body }          redeemed now
           { 1 (REPLAY), body }      redeemed before with this key: the same body
           { 3 (NOT_FOUND) } | { 4 (EXPIRED) } | { 5 (ALREADY_REDEEMED) } | { 6 (AMOUNT_MISMATCH) }
]]
local q = redis.call('HMGET', KEYS[1], 'terms', 'st', 'exp', 'cor', 'snd', 'rcv', 'rk', 'rsp')
if not q[1] then return { 3 } end
if (ARGV[3] ~= '' and ARGV[3] ~= q[4]) or (ARGV[4] ~= '' and ARGV[4] ~= q[5]) or (ARGV[5] ~= '' and ARGV[5] ~= q[6]) then
  return { 6 }
end
if q[2] == 'redeemed' then
  if q[7] == ARGV[2] then return { 1, q[8] } end
  return { 5 }
end

local t = redis.call('TIME')
local nowMs = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if nowMs >= tonumber(q[3]) then return { 4 } end

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
local body = string.sub(q[1], 1, -2) .. ',"status":"redeemed","redeemedAt":"' .. redeemedAt .. '"}'
redis.call('HSET', KEYS[1], 'st', 'redeemed', 'rat', redeemedAt, 'rk', ARGV[2], 'rsp', body)
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[6], '*', 'type', 'redeemed', 'id', ARGV[1], 'corridor', q[4],
  'sendAmount', q[5], 'receiveAmount', q[6], 'redeemedAt', redeemedAt)
redis.call('PUBLISH', ARGV[7], body)
return { 0, body }

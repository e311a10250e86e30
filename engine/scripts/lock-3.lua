--[[
  Lock a quote: write its record, its idempotency entry (when a key was given) and a `locked` event,
  in one atomic step. Kept until expiresAt + retention, so an expired quote answers 410, not 404.

  KEYS[1]  quote hash                  {fx:s}:q:<id>
  KEYS[2]  lock idempotency hash       {fx:s}:li:<hash of scoped key>  (untouched when ARGV[8] is '')
  KEYS[3]  lifecycle event stream      {fx:s}:events
  ARGV[1]  quote id
  ARGV[2]  terms JSON (no status)
  ARGV[3]  expiresAt, epoch ms
  ARGV[4]  corridor
  ARGV[5]  send amount (canonical decimal: no trailing zeros)
  ARGV[6]  receive amount (canonical decimal: no trailing zeros)
  ARGV[7]  retention after expiry, ms
  ARGV[8]  request fingerprint for the idempotency key, or ''
  ARGV[9]  event stream MAXLEN (approximate)

  Returns  { 0 (OK), body }       the quote was locked
           { 1 (REPLAY), body }   the key locked this same request before: its first body
           { 2 (IDEMPOTENCY_KEY_REUSED) }
]]
local fingerprint = ARGV[8]
if fingerprint ~= '' then
  local seen = redis.call('HMGET', KEYS[2], 'fp', 'body')
  if seen[1] then
    if seen[1] ~= fingerprint then return { 2 } end
    return { 1, seen[2] }
  end
end

local body = string.sub(ARGV[2], 1, -2) .. ',"status":"locked"}'
local keepUntil = tonumber(ARGV[3]) + tonumber(ARGV[7])
redis.call('HSET', KEYS[1], 'terms', ARGV[2], 'st', 'locked', 'exp', ARGV[3], 'cor', ARGV[4], 'snd', ARGV[5], 'rcv', ARGV[6])
redis.call('PEXPIREAT', KEYS[1], keepUntil)
if fingerprint ~= '' then
  redis.call('HSET', KEYS[2], 'fp', fingerprint, 'body', body, 'id', ARGV[1])
  redis.call('PEXPIREAT', KEYS[2], keepUntil)
end
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[9], '*', 'type', 'locked', 'id', ARGV[1], 'corridor', ARGV[4],
  'sendAmount', ARGV[5], 'receiveAmount', ARGV[6], 'expiresAt', ARGV[3])
return { 0, body }

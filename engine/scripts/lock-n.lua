--[[
  Lock a batch of quotes (the locks of one event-loop turn; on a Redis Cluster, of one shard, so one slot):
  each quote's record, then one `locked` event for the batch, in one atomic step. A record is kept until expiresAt + retention, so an
  expired quote answers 410, not 404, and stays auditable. A quote locked with an Idempotency-Key has the id
  that key names (newQuoteId), so the key's earlier lock, if any, is the record already there: checked here,
  in the same step, so two first tries race to one quote. n: the number of keys varies with the batch.

  A record is one string:
    'L\n' expiresAt ms '\n' owner (the locking key's name, as JSON) '\n' fingerprint or '' '\n' terms JSON
  (redeem-2.lua rewrites it as 'R\n...' when redeemed).

  Plain quotes (no Idempotency-Key: a random id, nothing to check) come first and cost one argument each, their
  record: each argument Redis hands to Lua is a copy, and the client joins their event lines. Every record of
  the batch is kept until the same time, the batch's latest (its quotes' expiresAt differ by the turn's few ms).

  KEYS[1]       a shard's lifecycle event stream       {fx:s}:events   (on a Cluster, the quotes' shard)
  KEYS[2..m+1]  the plain quotes' records              {fx:s}:q:<id>
  KEYS[m+2..]   the quotes with an Idempotency-Key
  ARGV[1]       event stream MAXLEN (approximate)
  ARGV[2]       keep until, epoch ms (the batch's latest expiresAt + retention)
  ARGV[3]       m, the number of plain quotes
  ARGV[4]       the plain quotes' event lines, joined by '\n' ('' when m is 0); a line:
                '<id> <corridor> <sendAmount> <receiveAmount> <expiresAt ms>'
  ARGV[5..m+4]  each plain quote's record
  ARGV[m+5..]   per quote with an Idempotency-Key, two each: record (its fingerprint is read from it), event line

  Returns   a flat list naming only the quotes that were not locked now, by key position p (KEYS[p + 1]):
            p, 1 (REPLAY), the first lock's body   the key locked this same request before
            p, 2 (IDEMPOTENCY_KEY_REUSED)          the key locked another request
            {} when every quote of the batch was locked
]]
local keep = ARGV[2]
local m = tonumber(ARGV[3])
for i = 2, m + 1 do
  redis.call('SET', KEYS[i], ARGV[i + 3], 'PXAT', keep)
end
local out = {}
local lines = m > 0 and { ARGV[4] } or {}
local a = m + 5
for p = m + 1, #KEYS - 1 do
  local record = ARGV[a]
  -- written only where no record is (NX); GET answers the one there, so the check and the write are one command
  local seen = redis.call('SET', KEYS[p + 1], record, 'NX', 'PXAT', keep, 'GET')
  if seen then
    -- 'L\n' expiresAt '\n' owner '\n' fingerprint '\n' ...: o is the newline after owner
    local o = string.find(record, '\n', string.find(record, '\n', 3, true) + 1, true)
    local fp = string.sub(record, o + 1, string.find(record, '\n', o + 1, true) - 1)
    local st, seenFp, json = string.match(seen, '^(%a)\n%d+\n[^\n]*\n([^\n]*)\n(.*)$')
    if seenFp ~= fp then
      out[#out + 1] = p; out[#out + 1] = 2
    else
      -- what the lock answered: its terms with status locked (a redeemed record keeps the redeemed body)
      local terms = st == 'R' and string.match(json, '^[^\n]*\n[^\n]*\n[^\n]*\n(.*),"status":"redeemed"') or string.sub(json, 1, -2)
      out[#out + 1] = p; out[#out + 1] = 1; out[#out + 1] = terms .. ',"status":"locked"}'
    end
  else
    lines[#lines + 1] = ARGV[a + 1]
  end
  a = a + 2
end
if #lines > 0 then
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'type', 'locked', 'quotes', table.concat(lines, '\n'))
end
return out

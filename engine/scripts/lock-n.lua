--[[
  Lock a batch of quotes (the locks of one event-loop turn; on a Redis Cluster, of one shard, so one slot):
  each quote's record, then one `locked` event for the batch, in one atomic step. A record is kept until expiresAt + retention, so an
  expired quote answers 410, not 404, and stays auditable. A quote locked with an Idempotency-Key has the id
  that key names (newQuoteId), so the key's earlier lock, if any, is the record already there: checked here,
  in the same step, so two first tries race to one quote. n: the number of keys varies with the batch.

  A record is one string:
    'L\n' expiresAt ms '\n' owner (the locking key's name, as JSON) '\n' fingerprint or '' '\n' terms JSON
  (redeem-2.lua rewrites it as 'R\n...' when redeemed).

  KEYS[1]   a shard's lifecycle event stream       {fx:s}:events   (on a Cluster, the quotes' shard)
  KEYS[2..] each quote's record                    {fx:s}:q:<id>
  ARGV[1]   event stream MAXLEN (approximate)
  ARGV[2..] per quote, three each (the fingerprint is read from the record, which carries it):
            record
            keep until, epoch ms (expiresAt + retention)
            event line: '<id> <corridor> <sendAmount> <receiveAmount> <expiresAt ms>'

  Returns   a flat list naming only the quotes that were not locked now, by position p (1-based):
            p, 1 (REPLAY), the first lock's body   the key locked this same request before
            p, 2 (IDEMPOTENCY_KEY_REUSED)          the key locked another request
            {} when every quote of the batch was locked
]]
local out = {}
local lines = {}
local p = 0
for a = 2, #ARGV, 3 do
  p = p + 1
  local record = ARGV[a]
  -- 'L\n' expiresAt '\n' owner '\n' fingerprint '\n' ...: o is the newline after owner
  local o = string.find(record, '\n', string.find(record, '\n', 3, true) + 1, true)
  -- only a lock with an Idempotency-Key has a fingerprint, and only it may find its key's earlier lock
  local seen = string.byte(record, o + 1) ~= 10 and redis.call('GET', KEYS[p + 1])
  if seen then
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
    redis.call('SET', KEYS[p + 1], record, 'PXAT', ARGV[a + 1])
    lines[#lines + 1] = ARGV[a + 2]
  end
end
if #lines > 0 then
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'type', 'locked', 'quotes', table.concat(lines, '\n'))
end
return out

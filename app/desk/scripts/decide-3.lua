-- Decides a desk change in one atomic step: checks it, stores it, applies its config, appends the audit.
--
-- KEYS[1]  the applied config: JSON {"rev": n, "sections": {...}}
-- KEYS[2]  the changes: hash id -> change JSON
-- KEYS[3]  the audit trail: stream, one field "e" per entry (JSON)
-- ARGV[1]  change id
-- ARGV[2]  'pending' (the change must be pending now) or 'new' (proposed and applied at once: a halt)
-- ARGV[3]  the revision the apply is based on ('' when nothing is stored yet)
-- ARGV[4]  the change JSON to store
-- ARGV[5]  the sections JSON to put in force, or '' to apply nothing (a rejection)
-- ARGV[6]  the audit stream's approximate MAXLEN
-- ARGV[7..] audit entries (JSON), appended in order
--
-- Returns {code, rev}: code 'ok' (rev: the revision now in force, '' when nothing was applied),
-- 'change_not_found', 'change_not_pending', or 'config_changed' (the stored revision is not ARGV[3]).
local current = redis.call('HGET', KEYS[2], ARGV[1])
if ARGV[2] == 'pending' then
  if not current then return {'change_not_found', ''} end
  if cjson.decode(current).status ~= 'pending' then return {'change_not_pending', ''} end
elseif current then
  return {'change_not_pending', ''}
end
local rev = ''
if ARGV[5] ~= '' then
  local stored = redis.call('GET', KEYS[1])
  local storedRev = ''
  if stored then storedRev = tostring(cjson.decode(stored).rev) end
  if storedRev ~= ARGV[3] then return {'config_changed', storedRev} end
  rev = tostring((tonumber(storedRev) or 0) + 1)
  redis.call('SET', KEYS[1], '{"rev":' .. rev .. ',"sections":' .. ARGV[5] .. '}')
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[4])
for i = 7, #ARGV do
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[6], '*', 'e', ARGV[i])
end
return {'ok', rev}

--[[
  Read a quote with its status now, by the Redis server's clock, as the viewer may see it: a lock-scope key
  sees only the quotes it locked (any other is NOT_FOUND, as if it did not exist); redeem scope sees all.

  KEYS[1]  quote record   {fx:s}:q:<id>   (see lock-n.lua; a hash when an earlier version wrote it)
  ARGV[1]  the viewer's key name as JSON, or '' for any quote (redeem scope)

  Returns  { 0 (OK), body }   the wire body with its status (and redeemedAt)
           { 3 (NOT_FOUND) }
]]
local v = redis.pcall('GET', KEYS[1])
if type(v) == 'table' and v.err then
  -- written by an earlier version: a hash with no owner recorded, so only redeem scope sees it
  local h = redis.call('HMGET', KEYS[1], 'terms', 'st', 'exp', 'rsp')
  if not h[1] then return { 3 } end
  v = h[2] == 'redeemed' and ('R\n' .. h[3] .. '\n\n\n\n\n\n' .. h[4]) or ('L\n' .. h[3] .. '\n\n\n' .. h[1])
end
if not v then return { 3 } end
local st, exp, owner, fp, rest = string.match(v, '^(%a)\n(%d+)\n([^\n]*)\n([^\n]*)\n(.*)$')
if ARGV[1] ~= '' and owner ~= ARGV[1] then return { 3 } end
if st == 'R' then return { 0, string.match(rest, '^[^\n]*\n[^\n]*\n[^\n]*\n(.*)$') } end
local t = redis.call('TIME')
local nowMs = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local status = nowMs >= tonumber(exp) and 'expired' or 'locked'
return { 0, string.sub(rest, 1, -2) .. ',"status":"' .. status .. '"}' }

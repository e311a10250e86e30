--[[
  Read a quote with its status now, by the Redis server's clock.

  KEYS[1]  quote hash   {fx:s}:q:<id>

  Returns  { 0 (OK), terms JSON, status, redeemedAt or '' }
           { 3 (NOT_FOUND) }
]]
local q = redis.call('HMGET', KEYS[1], 'terms', 'st', 'exp', 'rat')
if not q[1] then return { 3 } end
if q[2] == 'redeemed' then return { 0, q[1], 'redeemed', q[4] } end
local t = redis.call('TIME')
local nowMs = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if nowMs >= tonumber(q[3]) then return { 0, q[1], 'expired', '' } end
return { 0, q[1], 'locked', '' }

-- Reload agent statuses saved elsewhere (the CRM) after Redis lost them: only when no agent is
-- logged in and none of the given agents has a status.
-- KEYS: agents set, logged-in set, leases zset, then one agent hash per status
-- ARGV: channel, then one JSON object of status fields per agent hash, in the same order
-- Returns the number of statuses restored (0 when Redis already had some).
local agents, logged_in, leases = KEYS[1], KEYS[2], KEYS[3]
local channel = ARGV[1]

if redis.call('SCARD', logged_in) > 0 then
  return 0
end
for i = 4, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    return 0
  end
end
for i = 4, #KEYS do
  local status = cjson.decode(ARGV[i - 2])
  for field, value in pairs(status) do
    redis.call('HSET', KEYS[i], field, value)
  end
  redis.call('SADD', agents, status.extension)
  if status.state ~= 'logged-out' then
    redis.call('SADD', logged_in, status.extension)
  end
  if status.state == 'reserved' then
    redis.call('ZADD', leases, status.lease_until, status.extension)
  end
  redis.call('PUBLISH', channel, cjson.encode({op = 'restore', agent = status}))
end
return #KEYS - 3

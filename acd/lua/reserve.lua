-- Offer a waiting call to a ready agent, atomically: the agent must be ready at the expected
-- version and the call must exist and be reserved by nobody. Then the agent is reserved for the
-- call until its lease, the call is reserved by the agent, and the lease is indexed.
-- KEYS: agent hash, call hash, leases zset
-- ARGV: channel, extension, call_id, expected version, then field/value pairs of the new status
-- Returns the agent's hash (flat) when reserved, false otherwise.
local agent, call, leases = KEYS[1], KEYS[2], KEYS[3]
local channel, ext, call_id, expected = ARGV[1], ARGV[2], ARGV[3], ARGV[4]

local current = redis.call('HMGET', agent, 'state', 'version')
if current[1] ~= 'ready' or tonumber(current[2]) ~= tonumber(expected) then
  return false
end
if redis.call('HGET', call, 'reserved_by') ~= '' then
  return false
end

redis.call('HSET', agent, unpack(ARGV, 5))
redis.call('HSET', call, 'reserved_by', ext)
local fields = redis.call('HGETALL', agent)
local status = {}
for i = 1, #fields, 2 do
  status[fields[i]] = fields[i + 1]
end
redis.call('ZADD', leases, status.lease_until, ext)
redis.call('PUBLISH', channel, cjson.encode({op = 'reserve', agent = status, call_id = call_id}))
return fields

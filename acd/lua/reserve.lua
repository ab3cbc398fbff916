-- Reserve a ready agent for a call, atomically: the agent must be ready at the expected version.
-- A caller's call (no call items given) must be waiting in line, reserved by nobody. A call the
-- ACD places itself (an outbound dunning call: its items given) must not exist yet; it is stored
-- reserved by the agent and never queued, so nobody else is ever offered it. Then the agent is
-- reserved for the call until its lease, and the lease is indexed.
-- KEYS: agent hash, call hash, leases zset
-- ARGV: channel, extension, call_id, expected version, call ttl seconds, number n of call items,
--       then n field/value items of a call placed by the ACD, then field/value pairs of the
--       agent's new status
-- Returns the agent's hash (flat) when reserved, false otherwise.
local agent, call, leases = KEYS[1], KEYS[2], KEYS[3]
local channel, ext, call_id, expected = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local ttl, n = tonumber(ARGV[5]), tonumber(ARGV[6])

local current = redis.call('HMGET', agent, 'state', 'version')
if current[1] ~= 'ready' or tonumber(current[2]) ~= tonumber(expected) then
  return false
end
if n == 0 then
  if redis.call('HGET', call, 'reserved_by') ~= '' then
    return false
  end
else
  if redis.call('EXISTS', call) == 1 then
    return false
  end
  redis.call('HSET', call, unpack(ARGV, 7, 6 + n))
  redis.call('EXPIRE', call, ttl)
end

redis.call('HSET', agent, unpack(ARGV, 7 + n))
redis.call('HSET', call, 'reserved_by', ext)
local fields = redis.call('HGETALL', agent)
local status = {}
for i = 1, #fields, 2 do
  status[fields[i]] = fields[i + 1]
end
redis.call('ZADD', leases, status.lease_until, ext)
redis.call('PUBLISH', channel, cjson.encode({op = 'reserve', agent = status, call_id = call_id}))
return fields

-- Put a call in the ACD queue, once: a call already there keeps everything it has (its place,
-- its exclusions, its reservation).
-- KEYS: call hash, queue zset
-- ARGV: channel, call_id, enqueued_at, ttl seconds, then field/value pairs of the call
-- Returns {1 (added) or 0 (already there), the call's hash (flat)}.
local call, queue = KEYS[1], KEYS[2]
local channel, call_id, enqueued_at, ttl = ARGV[1], ARGV[2], ARGV[3], ARGV[4]

if redis.call('EXISTS', call) == 1 then
  return {0, redis.call('HGETALL', call)}
end
redis.call('HSET', call, unpack(ARGV, 5))
redis.call('EXPIRE', call, ttl)
redis.call('ZADD', queue, enqueued_at, call_id)
local fields = redis.call('HGETALL', call)
local stored = {}
for i = 1, #fields, 2 do
  stored[fields[i]] = fields[i + 1]
end
redis.call('PUBLISH', channel, cjson.encode({op = 'enqueue', call_id = call_id, call = stored}))
return {1, fields}

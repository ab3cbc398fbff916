-- A waiting caller asks to be called back: the call keeps its place in the queue, loses its
-- channel, and is marked as a callback. Only while nobody is offered it.
-- KEYS: call hash
-- ARGV: channel, call_id
-- Returns the call's hash (flat), or false when it is gone or reserved.
local call = KEYS[1]
local channel, call_id = ARGV[1], ARGV[2]

local reserved_by = redis.call('HGET', call, 'reserved_by')
if not reserved_by or reserved_by ~= '' then
  return false
end
redis.call('HSET', call, 'channel', '', 'callback', '1')
local fields = redis.call('HGETALL', call)
local stored = {}
for i = 1, #fields, 2 do
  stored[fields[i]] = fields[i + 1]
end
redis.call('PUBLISH', channel, cjson.encode({op = 'enqueue', call_id = call_id, call = stored}))
return fields

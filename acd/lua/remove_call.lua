-- Take a call out of the ACD queue (the caller hung up, or another route took it). An agent it
-- was offered to stays reserved until its own event (CallEnded) or its lease ends.
-- KEYS: call hash, queue zset
-- ARGV: channel, call_id
-- Returns 1 when the call was there, 0 otherwise.
local call, queue = KEYS[1], KEYS[2]
local channel, call_id = ARGV[1], ARGV[2]

redis.call('ZREM', queue, call_id)
local reserved_by = redis.call('HGET', call, 'reserved_by')
if not reserved_by then
  return 0
end
redis.call('DEL', call)
redis.call('PUBLISH', channel,
  cjson.encode({op = 'remove', call_id = call_id, extension = reserved_by}))
return 1

-- Compare-and-set of one agent's status (computed by acd.core.agent_states), and what the change
-- means for the call the agent held: requeue it (back to waiting, maybe excluding the agent),
-- or take it out of the queue (connect: answered; drop: the caller hung up while it rang). A
-- call the ACD placed itself (outbound) was never in line: instead of a requeue, it is dropped.
-- KEYS: agent hash, agents set, logged-in set, leases zset, call hash, queue zset
-- ARGV: channel, extension, expected version, call op ('', requeue, connect, drop), call_id,
--       exclude, then field/value pairs of the new status
-- Returns {1, new version} when applied, {0, current version} when the version moved on.
local agent, agents, logged_in, leases, call, queue = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local channel, ext, expected, op, call_id, exclude = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]

local current = redis.call('HGET', agent, 'version') or '0'
if tonumber(current) ~= tonumber(expected) then
  return {0, current}
end

local status = {}
for i = 7, #ARGV, 2 do
  status[ARGV[i]] = ARGV[i + 1]
end
redis.call('HSET', agent, unpack(ARGV, 7))
redis.call('SADD', agents, ext)
if status.state == 'logged-out' then
  redis.call('SREM', logged_in, ext)
else
  redis.call('SADD', logged_in, ext)
end
if status.state == 'reserved' then
  redis.call('ZADD', leases, status.lease_until, ext)
else
  redis.call('ZREM', leases, ext)
end

local message = {op = 'agent', agent = status}
if op ~= '' and redis.call('HGET', call, 'reserved_by') == ext then
  if op == 'requeue' and not redis.call('ZSCORE', queue, call_id) then
    op = 'drop'
  end
  message.op = op
  message.call_id = call_id
  if op == 'requeue' then
    redis.call('HSET', call, 'reserved_by', '')
    local excluded = redis.call('HGET', call, 'excluded') or ''
    if exclude ~= '' and not string.find(',' .. excluded .. ',', ',' .. exclude .. ',', 1, true) then
      if excluded ~= '' then
        excluded = excluded .. ','
      end
      redis.call('HSET', call, 'excluded', excluded .. exclude)
    end
    local fields = redis.call('HGETALL', call)
    message.call = {}
    for i = 1, #fields, 2 do
      message.call[fields[i]] = fields[i + 1]
    end
  else
    redis.call('DEL', call)
    redis.call('ZREM', queue, call_id)
  end
end
redis.call('PUBLISH', channel, cjson.encode(message))
return {1, status.version}

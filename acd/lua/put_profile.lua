-- Store an agent's profile (from the CRM).
-- KEYS: profile string, agents set
-- ARGV: channel, extension, profile JSON
local profile, agents = KEYS[1], KEYS[2]
local channel, ext, json = ARGV[1], ARGV[2], ARGV[3]

redis.call('SET', profile, json)
redis.call('SADD', agents, ext)
redis.call('PUBLISH', channel, cjson.encode({op = 'profile', extension = ext}))
return 1

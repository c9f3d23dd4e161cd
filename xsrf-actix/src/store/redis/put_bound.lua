-- Stores a key bound to a session; over the session's quota, its own
-- oldest keys go first.
--
-- KEYS[1]: the session's hash (digest -> value);
-- KEYS[2]: its order (digest -> sequence number).
-- ARGV[1]: the digest (hex); ARGV[2]: the value; ARGV[3]: TTL in ms;
-- ARGV[4]: the session's quota.
-- Returns 1.
redis.call('ZREM', KEYS[2], ARGV[1])
local n = redis.call('ZCARD', KEYS[2])
local quota = tonumber(ARGV[4])
if n >= quota then
  local old = redis.call('ZRANGE', KEYS[2], 0, n - quota)
  redis.call('HDEL', KEYS[1], unpack(old))
  redis.call('ZREM', KEYS[2], unpack(old))
end
local top = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
local seq = 1
if top[2] then seq = tonumber(top[2]) + 1 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], seq, ARGV[1])
local ttl = tonumber(ARGV[3])
for _, k in ipairs(KEYS) do
  if redis.call('PTTL', k) < ttl then redis.call('PEXPIRE', k, ttl) end
end
return 1

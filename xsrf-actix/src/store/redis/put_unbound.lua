-- Stores a key bound to no session. Expired keys go first (a bounded
-- batch per call); then, if still full, the key is refused without
-- touching anything else.
--
-- KEYS[1]: the unbound keys' hash (digest -> value);
-- KEYS[2]: their expiry index (digest -> expiry, unix ms).
-- ARGV[1]: the digest (hex); ARGV[2]: the value; ARGV[3]: TTL in ms;
-- ARGV[4]: the capacity; ARGV[5]: now (unix ms); ARGV[6]: the key's expiry
-- (unix ms).
-- Returns 1 stored, 0 refused (full).
local gone = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[5], 'LIMIT', 0, 1000)
if #gone > 0 then
  redis.call('HDEL', KEYS[1], unpack(gone))
  redis.call('ZREM', KEYS[2], unpack(gone))
end
if not redis.call('ZSCORE', KEYS[2], ARGV[1])
   and redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[4]) then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[6], ARGV[1])
local ttl = tonumber(ARGV[3])
for _, k in ipairs(KEYS) do
  if redis.call('PTTL', k) < ttl then redis.call('PEXPIRE', k, ttl) end
end
return 1

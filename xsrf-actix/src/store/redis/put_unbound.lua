-- Stores a key bound to no session. Expired keys go first (a bounded
-- batch per call). If a session asked for the key, that session's own
-- oldest unbound keys make room for it beyond its quota, so one session
-- cannot fill the store. Then, if still full, the key is refused without
-- touching anything else.
--
-- KEYS[1]: the unbound keys' hash (digest -> value);
-- KEYS[2]: their expiry index (digest -> expiry, unix ms);
-- KEYS[3] (only for a key a session asked for): that session's unbound
-- keys in creation order (digest -> sequence number). All three carry the
-- same hash tag: one slot on a cluster.
-- ARGV[1]: the digest (hex); ARGV[2]: the value; ARGV[3]: TTL in ms;
-- ARGV[4]: the capacity; ARGV[5]: now (unix ms); ARGV[6]: the key's expiry
-- (unix ms); ARGV[7] (with KEYS[3]): the session's quota.
-- Returns 1 stored, 0 refused (full).
local gone = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[5], 'LIMIT', 0, 1000)
if #gone > 0 then
  redis.call('HDEL', KEYS[1], unpack(gone))
  redis.call('ZREM', KEYS[2], unpack(gone))
end
local mine = KEYS[3]
if mine then
  redis.call('ZREM', mine, ARGV[1])
  local quota = tonumber(ARGV[7])
  if redis.call('ZCARD', mine) >= quota then
    -- Keys used (from any session) or expired are still listed here; they
    -- hold no room. The list is at most the quota long.
    local live = {}
    for _, d in ipairs(redis.call('ZRANGE', mine, 0, -1)) do
      if redis.call('HEXISTS', KEYS[1], d) == 1 then
        live[#live + 1] = d
      else
        redis.call('ZREM', mine, d)
      end
    end
    for i = 1, #live - quota + 1 do
      redis.call('HDEL', KEYS[1], live[i])
      redis.call('ZREM', KEYS[2], live[i])
      redis.call('ZREM', mine, live[i])
    end
  end
end
if not redis.call('ZSCORE', KEYS[2], ARGV[1])
   and redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[4]) then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[6], ARGV[1])
if mine then
  local top = redis.call('ZRANGE', mine, -1, -1, 'WITHSCORES')
  local seq = 1
  if top[2] then seq = tonumber(top[2]) + 1 end
  redis.call('ZADD', mine, seq, ARGV[1])
end
local ttl = tonumber(ARGV[3])
for _, k in ipairs(KEYS) do
  if redis.call('PTTL', k) < ttl then redis.call('PEXPIRE', k, ttl) end
end
return 1

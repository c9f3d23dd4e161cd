-- Deletes all of a session's keys (logout).
--
-- KEYS[1]: the session's hash; KEYS[2]: its order.
-- Returns the number of keys deleted.
local n = redis.call('HLEN', KEYS[1])
redis.call('DEL', KEYS[1], KEYS[2])
return n

-- Takes a key: read, check expiry, delete, in one step, so of any number
-- of concurrent takes exactly one wins. The value is the JSON `Entry`
-- written by `mod.rs`: {"d": data in base64, "e": expiry in unix ms}.
--
-- KEYS[1]: a hash (a session's, or the unbound keys');
-- KEYS[2]: its index (order or expiry).
-- ARGV[1]: the digest (hex); ARGV[2]: now (unix ms).
-- Returns {0} missing, {1, data} taken, {2} expired (and deleted),
-- {4} not a value this store wrote (left in place).
local v = redis.pcall('HGET', KEYS[1], ARGV[1])
if type(v) == 'table' then return {4} end
if not v then return {0} end
local ok, e = pcall(cjson.decode, v)
if not ok or type(e) ~= 'table' or type(e.d) ~= 'string'
   or type(e.e) ~= 'number' then
  return {4}
end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
if e.e <= tonumber(ARGV[2]) then return {2} end
return {1, e.d}

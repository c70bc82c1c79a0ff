// The Lua scripts of RedisSessionStore (layouts in session-layout.ts). Each names every key it touches in
// KEYS, and all of them share the hash tag {userId}: one slot, so they run unchanged on Redis Cluster.
// KEYS[1] is the user's v2 hash and KEYS[2] the v1 session index (but in CREATE_V1); v1 session keys follow.
import { PREVIOUS_HASH_LENGTH } from './session-layout';

/** A script that found a session in the v1 index it was not given the key of answers this: read the index again. */
export const STALE_KEYS = -1;

// Base 36 (as Number#toString(36) writes it) and the fields of a v2 session's auth value.
const HELPERS = `
local function b36(n)
  local digits, s = '0123456789abcdefghijklmnopqrstuvwxyz', ''
  n = math.max(0, math.floor(n))
  repeat
    local d = n % 36
    s = string.sub(digits, d + 1, d + 1) .. s
    n = math.floor(n / 36)
  until n == 0
  return s
end
local function auth(v)
  local r, p, c, l, e, x = string.match(v, '^([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)$')
  if not r then return nil end
  c = tonumber(c, 36)
  return { r = r, p = p, c = c, l = c + tonumber(l, 36), e = tonumber(e, 36), x = c + tonumber(x, 36) }
end
local function lapses(v)
  local e = string.match(v, '^[^|]*|[^|]*|[^|]*|[^|]*|([^|]*)|')
  return e and tonumber(e, 36) or 0
end
local function extend(key, ttl)
  if redis.call('TTL', key) < ttl then redis.call('EXPIRE', key, ttl) end
end`;

// ARGV: sid, auth, meta, ttl (s), now (ms, store clock). Drops the user's lapsed v2 sessions on the way.
export const CREATE = `${HELPERS}
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local field = all[i]
  if not string.find(field, ':', 1, true) and lapses(all[i + 1]) <= tonumber(ARGV[5]) then
    redis.call('HDEL', KEYS[1], field, field .. ':m')
  end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2], ARGV[1] .. ':m', ARGV[3])
extend(KEYS[1], tonumber(ARGV[4]))
return 1`;

// KEYS[3] the v1 key of this session id. ARGV: sid, presented digest, next digest, now (s, service clock),
// refresh ttl, grace, meta, now (ms, store clock), userId, layout written, ip, user agent as sent.
// Digests are compared on their first 22 characters. A v1 session found under the id is rotated into v2
// (same id) and its v1 key dropped, or under layout v1 rotated in place exactly as the previous release
// does (whole digests, its fields, its TTLs). The session slides by the refresh ttl, never past its end.
export const ROTATE = `${HELPERS}
local sid, presented, now, storeNow = ARGV[1], string.sub(ARGV[2], 1, 22), tonumber(ARGV[4]), tonumber(ARGV[8])
local s, v1 = nil, false
local v = redis.call('HGET', KEYS[1], sid)
if v then
  s = auth(v)
  if not s or s.e <= storeNow then
    redis.call('HDEL', KEYS[1], sid, sid .. ':m')
    return {'missing', 0}
  end
else
  local h = redis.call('HMGET', KEYS[3], 'u', 'rt', 'prt', 'rat', 'c', 'x')
  if h[1] ~= ARGV[9] then return {'missing', 0} end
  v1 = true
  s = { r = string.sub(h[2], 1, 22), p = h[3] and string.sub(h[3], 1, ${PREVIOUS_HASH_LENGTH}) or '', c = tonumber(h[5]), l = tonumber(h[4]) or 0, x = tonumber(h[6]) }
end
local function drop()
  redis.call('HDEL', KEYS[1], sid, sid .. ':m')
  if v1 then
    redis.call('DEL', KEYS[3])
    redis.call('SREM', KEYS[2], sid)
  end
end
if s.r == presented then
  local ttl = math.min(tonumber(ARGV[5]), s.x - now)
  if ttl <= 0 then
    drop()
    return {'missing', 0}
  end
  if v1 and ARGV[10] == 'v1' then
    redis.call('HSET', KEYS[3], 'rt', ARGV[3], 'prt', ARGV[2], 'rat', ARGV[4], 'l', ARGV[4], 'ip', ARGV[11], 'ua', ARGV[12])
    redis.call('EXPIRE', KEYS[3], ttl)
    extend(KEYS[2], ttl)
    return {'rotated', ttl}
  end
  drop()
  local fields = { string.sub(ARGV[3], 1, 22), string.sub(presented, 1, ${PREVIOUS_HASH_LENGTH}), b36(s.c), b36(now - s.c), b36(storeNow + ttl * 1000), b36(s.x - s.c) }
  redis.call('HSET', KEYS[1], sid, table.concat(fields, '|'), sid .. ':m', ARGV[7])
  extend(KEYS[1], ttl)
  return {'rotated', ttl}
end
if s.p ~= '' and s.p == string.sub(presented, 1, ${PREVIOUS_HASH_LENGTH}) and now - s.l < tonumber(ARGV[6]) then return {'grace', 0} end
drop()
return {'reused', 0}`;

// Layout v1 (SESSION_LAYOUT=v1): the previous release's create, unchanged (f820253). KEYS[1] session hash,
// KEYS[2] the v1 index, KEYS[3..] the keys of the sessions the index held when read. ARGV: sid, ttl,
// v1 key prefix, then field/value pairs. Also drops index entries whose session has expired.
export const CREATE_V1 = `
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
redis.call('EXPIRE', KEYS[1], ARGV[2])
for i = 3, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 0 then redis.call('SREM', KEYS[2], string.sub(KEYS[i], #ARGV[3] + 1)) end
end
redis.call('SADD', KEYS[2], ARGV[1])
if redis.call('TTL', KEYS[2]) < tonumber(ARGV[2]) then redis.call('EXPIRE', KEYS[2], ARGV[2]) end
return 1`;

// KEYS[3] the v1 key of this session id. ARGV: sid.
export const REVOKE = `
redis.call('HDEL', KEYS[1], ARGV[1], ARGV[1] .. ':m')
redis.call('DEL', KEYS[3])
redis.call('SREM', KEYS[2], ARGV[1])
return 1`;

// Checks that KEYS[3..] name every session in the v1 index KEYS[2] (ARGV[1] is the v1 key prefix,
// ARGV[2] a session id that needs no key): a v1 session written meanwhile (by an instance still on the
// previous release) has no key here.
const ALL_DECLARED = `
local declared = {}
for i = 3, #KEYS do declared[KEYS[i]] = true end
local sids = redis.call('SMEMBERS', KEYS[2])
for _, sid in ipairs(sids) do
  if sid ~= ARGV[2] and not declared[ARGV[1] .. sid] then return nil end
end
return sids`;

// ARGV: v1 key prefix, the session id to keep ('' for none), now (ms, store clock). Returns how many
// sessions were live and revoked, or ${STALE_KEYS} (nothing changed) if the v1 index grew.
export const REVOKE_ALL = `${HELPERS}
local function members()${ALL_DECLARED}
end
local sids = members()
if not sids then return ${STALE_KEYS} end
local live = 0
for _, sid in ipairs(sids) do
  if sid ~= ARGV[2] then
    live = live + redis.call('DEL', ARGV[1] .. sid)
    redis.call('SREM', KEYS[2], sid)
  end
end
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local field = all[i]
  if not string.find(field, ':', 1, true) and field ~= ARGV[2] then
    if lapses(all[i + 1]) > tonumber(ARGV[3]) then live = live + 1 end
    redis.call('HDEL', KEYS[1], field, field .. ':m')
  end
end
if ARGV[2] == '' then redis.call('DEL', KEYS[1], KEYS[2]) end
return live`;

// ARGV: v1 key prefix. Read-only: { the v2 hash's field/value pairs, sid and HGETALL pairs of each live
// v1 session }, or ${STALE_KEYS} if the v1 index grew since it was read.
export const LIST = `
local function members()${ALL_DECLARED}
end
local sids = members()
if not sids then return ${STALE_KEYS} end
local v1 = {}
for _, sid in ipairs(sids) do
  local hash = redis.call('HGETALL', ARGV[1] .. sid)
  if #hash > 0 then
    v1[#v1 + 1] = sid
    v1[#v1 + 1] = hash
  end
end
return { redis.call('HGETALL', KEYS[1]), v1 }`;

import { createHash } from 'node:crypto';

/**
 * Lua helpers shared by the gate's scripts and the quota-hot projection's apply script, so that
 * both read and write the same names (see `hotQuotaLayout` in @totra/quota). `pfx` is the key
 * prefix, `tag` the tenant's hash tag `{...}`; every name built here carries it, so a script
 * stays in one cluster slot.
 */
export const QUOTA_LUA_HELPERS = `
local function qnum(n) return string.format('%.0f', n) end
local function qLiveKey(pfx, tag, ref)
  local i = string.find(ref, '/', 1, true)
  return pfx .. 'ql:' .. tag .. ':' .. string.sub(ref, 1, i - 1) .. ':' .. string.sub(ref, i + 1)
end
local function qSpentKey(pfx, tag, ref)
  local i = string.find(ref, '/', 1, true)
  return pfx .. 'qs:' .. tag .. ':' .. string.sub(ref, 1, i - 1) .. ':' .. string.sub(ref, i + 1)
end
local function qTidyLive(lk)
  local v = redis.call('HMGET', lk, 'rusd', 'rtok', 'pusd', 'ptok')
  if (tonumber(v[1]) or 0) == 0 and (tonumber(v[2]) or 0) == 0 and (tonumber(v[3]) or 0) == 0 and (tonumber(v[4]) or 0) == 0 then
    redis.call('DEL', lk)
  end
end
-- Takes back what a request holds (reserved or pending) and forgets it. Returns its state or false.
local function qDropRequest(pfx, tag, rid)
  local rk = pfx .. 'qr:' .. tag .. ':' .. rid
  local r = redis.call('HMGET', rk, 's', 'sc', 'usd', 'tok')
  if r[1] then
    local fu, ft = 'rusd', 'rtok'
    if r[1] == 's' then fu, ft = 'pusd', 'ptok' end
    for _, ref in ipairs(cjson.decode(r[2])) do
      local lk = qLiveKey(pfx, tag, ref)
      redis.call('HINCRBY', lk, fu, qnum(-tonumber(r[3])))
      redis.call('HINCRBY', lk, ft, qnum(-tonumber(r[4])))
      qTidyLive(lk)
    end
    redis.call('DEL', rk)
  end
  redis.call('ZREM', pfx .. 'qx:' .. tag, rid)
  return r[1]
end
-- Tells gateways waiting for room in the tenant's budgets that some was given back.
local function qNotify(pfx, tag)
  redis.call('PUBLISH', pfx .. 'qn:' .. tag, '1')
end
local function qPurgeExpired(pfx, tag, now, limit)
  local ids = redis.call('ZRANGEBYSCORE', pfx .. 'qx:' .. tag, '-inf', now, 'LIMIT', 0, limit)
  for _, rid in ipairs(ids) do qDropRequest(pfx, tag, rid) end
  if #ids > 0 then qNotify(pfx, tag) end
  return #ids
end
`;

/**
 * Admission: rate limits (sliding-window counter over 1-minute windows) and every budget that
 * applies; reserves the estimate under the request id when all pass. Atomic: the check and
 * the reservation happen in one script, so concurrent admissions cannot overshoot.
 *
 * KEYS: 1 expiry zset, 2 request record, 3..6 budgets of key/user/team/tenant, 7 rate limit of
 * the key, 8 done marker of the request.
 * ARGV: 1 pfx, 2 tag, 3 requestId, 4 now ms, 5 estimate micro-USD, 6 estimate tokens, 7 model,
 * 8 keyId, 9 JSON {zone: {daily, weekly, monthly}} period keys, 10 reservation TTL ms,
 * 11 purge limit.
 * Reply: `{'ok', state, scopesJson, expiresMs, replayed 0|1}` (state `r` reserved, `s` settled, `u`
 * untracked: no budget and no rate limit applies, so nothing is stored and there is nothing to
 * settle or release), `{'done'}` (request recorded already),
 * `{'tz', zone}` (period keys of that zone needed), or
 * `{'no', reason, scope, budgetId, unit, limit, used, retryMs, held}`. `held` is `1` when the
 * request fits every budget once the reservations in flight settle (`spent + pending + estimate
 * <= limit` everywhere, only `+ reserved` is over): waiting for settlements can admit it. A
 * budget over even without reservations is named first (`held` 0).
 */
export const ADMIT_SCRIPT = `${QUOTA_LUA_HELPERS}
local pfx, tag, rid = ARGV[1], ARGV[2], ARGV[3]
local now = tonumber(ARGV[4])
local estUsd, estTok = tonumber(ARGV[5]), tonumber(ARGV[6])
local model, keyId = ARGV[7], ARGV[8]
qPurgeExpired(pfx, tag, now, tonumber(ARGV[11]))
if redis.call('EXISTS', KEYS[8]) == 1 then return {'done'} end
local existing = redis.call('HMGET', KEYS[2], 's', 'sc', 'x')
if existing[1] then return {'ok', existing[1], existing[2], existing[3], '1'} end

-- Rate limits: estimated use = previous window x (1 - elapsed share) + current window.
local WIN = 60000
local minute = math.floor(now / WIN)
local e = (now - minute * WIN) / WIN
local rl = redis.call('HMGET', KEYS[7], 'rpm', 'tpm')
local wcur = nil
local function retryMs(limit, cur, prev, cost)
  if cost > limit then return -1 end
  if cur + cost > limit then
    local need = 1 - (limit - cost) / cur
    if need < 0 then need = 0 end
    return (1 - e) * WIN + need * WIN
  end
  return (1 - (limit - cur - cost) / prev - e) * WIN
end
if rl[1] or rl[2] then
  wcur = pfx .. 'qw:' .. tag .. ':' .. keyId .. ':' .. minute
  local wprev = pfx .. 'qw:' .. tag .. ':' .. keyId .. ':' .. (minute - 1)
  local c = redis.call('HMGET', wcur, 'n', 'tok')
  local p = redis.call('HMGET', wprev, 'n', 'tok')
  local checks = { {'rpm', tonumber(rl[1]), tonumber(c[1]) or 0, tonumber(p[1]) or 0, 1},
                   {'tpm', tonumber(rl[2]), tonumber(c[2]) or 0, tonumber(p[2]) or 0, estTok} }
  for _, ck in ipairs(checks) do
    local limit = ck[2]
    if limit then
      local used = ck[4] * (1 - e) + ck[3]
      if used + ck[5] > limit then
        return {'no', 'rate_limit', 'key:' .. keyId, '', ck[1], qnum(limit), qnum(math.ceil(used)), qnum(math.ceil(retryMs(limit, ck[3], ck[4], ck[5]))), '0'}
      end
    end
  end
end

-- Budgets of the key, user, team and tenant (in that order; the first that refuses is named).
local pks = nil
local held = nil
local refs = {}
local lives = {}
for i = 3, 6 do
  local all = redis.call('HGETALL', KEYS[i])
  for j = 1, #all, 2 do
    local b = cjson.decode(all[j + 1])
    if b.m == nil or b.m == model then
      local pk = 't'
      if b.p ~= 'total' then
        if pks == nil then pks = cjson.decode(ARGV[9]) end
        local z = pks[b.z]
        if z == nil then return {'tz', b.z} end
        pk = z[b.p]
      end
      local ref = b.id .. '/' .. pk
      local lk = qLiveKey(pfx, tag, ref)
      local s = redis.call('HMGET', qSpentKey(pfx, tag, ref), 'usd', 'tok')
      local l = redis.call('HMGET', lk, 'rusd', 'rtok', 'pusd', 'ptok')
      local scope = b.k
      if b.k ~= 'tenant' then scope = b.k .. ':' .. b.s end
      if b.u then
        local settled = (tonumber(s[1]) or 0) + (tonumber(l[3]) or 0)
        local used = settled + (tonumber(l[1]) or 0)
        if settled + estUsd > b.u then return {'no', 'budget', scope, b.id, 'microUsd', qnum(b.u), qnum(used), '-1', '0'} end
        if used + estUsd > b.u and held == nil then held = {'no', 'budget', scope, b.id, 'microUsd', qnum(b.u), qnum(used), '-1', '1'} end
      end
      if b.t then
        local settled = (tonumber(s[2]) or 0) + (tonumber(l[4]) or 0)
        local used = settled + (tonumber(l[2]) or 0)
        if settled + estTok > b.t then return {'no', 'budget', scope, b.id, 'tokens', qnum(b.t), qnum(used), '-1', '0'} end
        if used + estTok > b.t and held == nil then held = {'no', 'budget', scope, b.id, 'tokens', qnum(b.t), qnum(used), '-1', '1'} end
      end
      refs[#refs + 1] = ref
      lives[#lives + 1] = lk
    end
  end
end

if held then return held end
-- Nothing limits this request: nothing to reserve, and nothing to settle or expire later.
if #refs == 0 and wcur == nil then return {'ok', 'u', '[]', '0', '0'} end

-- Everything passed: reserve.
for _, lk in ipairs(lives) do
  redis.call('HINCRBY', lk, 'rusd', ARGV[5])
  redis.call('HINCRBY', lk, 'rtok', ARGV[6])
end
local wk = ''
if wcur then
  redis.call('HINCRBY', wcur, 'n', 1)
  redis.call('HINCRBY', wcur, 'tok', ARGV[6])
  redis.call('PEXPIRE', wcur, 2 * WIN + 10000)
  wk = wcur
end
local sc = '[]'
if #refs > 0 then sc = '["' .. table.concat(refs, '","') .. '"]' end
local x = qnum(now + tonumber(ARGV[10]))
redis.call('HSET', KEYS[2], 's', 'r', 'sc', sc, 'usd', ARGV[5], 'tok', ARGV[6], 'w', wk, 'x', x)
redis.call('ZADD', KEYS[1], x, rid)
return {'ok', 'r', sc, x, '0'}
`;

/**
 * Settlement: turns the request's reservation into pending spend of the actual amounts (kept
 * until its `SpendRecorded` is projected, or until the pending TTL), and tells waiting gateways
 * (channel `qn:{tenant}`) that room may have been given back. Idempotent. A reservation
 * that expired meanwhile is recreated as pending from the scopes the caller holds.
 *
 * KEYS: 1 expiry zset, 2 request record, 3 done marker. ARGV: 1 pfx, 2 tag, 3 requestId, 4 now
 * ms, 5 actual micro-USD, 6 actual tokens, 7 scopes JSON, 8 pending TTL ms.
 * Reply: 'settled', 'already_settled', or 'recorded' (its SpendRecorded was applied already).
 */
export const SETTLE_SCRIPT = `${QUOTA_LUA_HELPERS}
local pfx, tag, rid = ARGV[1], ARGV[2], ARGV[3]
if redis.call('EXISTS', KEYS[3]) == 1 then return 'recorded' end
local r = redis.call('HMGET', KEYS[2], 's', 'sc', 'tok', 'w')
if r[1] == 's' then return 'already_settled' end
local sc = ARGV[7]
if r[1] == 'r' then
  sc = r[2]
  if r[4] and r[4] ~= '' and redis.call('EXISTS', r[4]) == 1 then
    redis.call('HINCRBY', r[4], 'tok', qnum(tonumber(ARGV[6]) - tonumber(r[3])))
  end
  qDropRequest(pfx, tag, rid)
end
for _, ref in ipairs(cjson.decode(sc)) do
  local lk = qLiveKey(pfx, tag, ref)
  redis.call('HINCRBY', lk, 'pusd', ARGV[5])
  redis.call('HINCRBY', lk, 'ptok', ARGV[6])
end
local x = qnum(tonumber(ARGV[4]) + tonumber(ARGV[8]))
redis.call('HSET', KEYS[2], 's', 's', 'sc', sc, 'usd', ARGV[5], 'tok', ARGV[6], 'w', '', 'x', x)
redis.call('ZADD', KEYS[1], x, rid)
if r[1] == 'r' then qNotify(pfx, tag) end
return 'settled'
`;

/**
 * Release: gives a reservation back (the request never reached a provider). A settled request
 * is left alone. KEYS: 1 expiry zset, 2 request record. ARGV: 1 pfx, 2 tag, 3 requestId.
 * Reply: 1 released, 0 nothing to release.
 */
export const RELEASE_SCRIPT = `${QUOTA_LUA_HELPERS}
if redis.call('HGET', KEYS[2], 's') ~= 'r' then return 0 end
qDropRequest(ARGV[1], ARGV[2], ARGV[3])
qNotify(ARGV[1], ARGV[2])
return 1
`;

const digests = new Map<string, string>();

/** SHA-1 of a script, for EVALSHA. */
export function sha1(script: string): string {
  let d = digests.get(script);
  if (d === undefined) {
    d = createHash('sha1').update(script).digest('hex');
    digests.set(script, d);
  }
  return d;
}

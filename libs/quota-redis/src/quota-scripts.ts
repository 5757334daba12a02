import { createHash } from 'node:crypto';

/**
 * Lua helpers shared by the gate's scripts and the quota-hot projection's apply script, so that
 * both read and write the same names (see `hotQuotaLayout` in @totra/quota). `pfx` is the key
 * prefix, `tag` the tenant's hash tag `{...}`; every name built here carries it, so a script
 * stays in one cluster slot.
 */
export const QUOTA_LUA_HELPERS = `
-- An integer as Redis reads it ('%.0f' writes minus zero as '-0', which HINCRBY refuses).
local function qnum(n)
  local s = string.format('%.0f', n)
  if s == '-0' then return '0' end
  return s
end
local function qLiveKey(pfx, tag, ref)
  local i = string.find(ref, '/', 1, true)
  return pfx .. 'ql:' .. tag .. ':' .. string.sub(ref, 1, i - 1) .. ':' .. string.sub(ref, i + 1)
end
local function qSpentKey(pfx, tag, ref)
  local i = string.find(ref, '/', 1, true)
  return pfx .. 'qs:' .. tag .. ':' .. string.sub(ref, 1, i - 1) .. ':' .. string.sub(ref, i + 1)
end
-- Adds to a field of a budget period's live hash; a field back at zero goes (and the hash with
-- its last field), so an idle period leaves nothing behind.
local function qAddLive(lk, field, delta)
  if delta ~= 0 and redis.call('HINCRBY', lk, field, qnum(delta)) == 0 then redis.call('HDEL', lk, field) end
end
-- Numeric fields of a hash, read once per script call and then kept in Lua: \`cache[key]\` holds
-- the fields (0 when absent) followed by \`extra\` zeros for the caller's own sums; \`order\` (when
-- given) lists the keys in the order they were first read, for writing back.
local function qCached(cache, order, key, extra, ...)
  local c = cache[key]
  if c == nil then
    local v = redis.call('HMGET', key, ...)
    c = {}
    for i = 1, #v do c[i] = tonumber(v[i]) or 0 end
    for _ = 1, extra do c[#c + 1] = 0 end
    cache[key] = c
    if order then order[#order + 1] = key end
  end
  return c
end
local Q_LIVE_FIELDS = {'rusd', 'rtok', 'pusd', 'ptok'}
-- Sums changes to the live fields (1 rusd, 2 rtok, 3 pusd, 4 ptok) of budget periods, to write
-- once with qFlushLive.
local function qAddDelta(deltas, order, lk, f, v)
  local d = deltas[lk]
  if d == nil then
    d = {0, 0, 0, 0}
    deltas[lk] = d
    order[#order + 1] = lk
  end
  d[f] = d[f] + v
end
local function qFlushLive(deltas, order)
  for _, lk in ipairs(order) do
    local d = deltas[lk]
    for f = 1, 4 do qAddLive(lk, Q_LIVE_FIELDS[f], d[f]) end
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
      qAddLive(lk, fu, -tonumber(r[3]))
      qAddLive(lk, ft, -tonumber(r[4]))
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
 * Admission, for a group of requests of one tenant (sent together by the gate's batcher): for
 * each in order, rate limits (sliding-window counter over 1-minute windows) and every budget that
 * applies; reserves the estimate under the request id when all pass. Atomic: the checks and the
 * reservations happen in one script, so concurrent admissions cannot overshoot; each request
 * sees the reservations of those before it. What the requests share is read once per call (the
 * budgets of a scope, spent, reserved and pending of a budget period, rate limits and windows of
 * a key), and the reserved amounts and window counts are written once per call, summed.
 *
 * KEYS: 1 expiry zset (every other key is built here from the prefix and the tenant's tag).
 * ARGV: 1 pfx, 2 tag, 3 JSON {zone: {daily, weekly, monthly}} period keys, 4 reservation TTL
 * ms, 5 purge limit; then 8 per request: requestId, now ms, estimate micro-USD, estimate tokens,
 * model, keyId, userId, teamId.
 * Reply: one per request, in order: `{'ok', state, scopesJson, expiresMs, replayed 0|1[, rateLimited 0|1]}` (state
 * `r` reserved, `s` settled, `u` untracked: no budget and no rate limit applies, so nothing is
 * stored and there is nothing to settle or release; a new reservation adds whether a rate limit
 * counted it, which keeps its caller off budget leases), `{'done'}` (request recorded already),
 * `{'tz', zone}` (period keys of that zone needed; nothing was done for it), or
 * `{'no', reason, scope, budgetId, unit, limit, used, retryMs, held}`. `held` is `1` when the
 * request fits every budget once the reservations in flight settle (`spent + pending + estimate
 * <= limit` everywhere, only `+ reserved` is over): waiting for settlements can admit it, and
 * the tenant's tag is published on `quota:pressure` (once per call) so that gateways holding
 * budget leases of the tenant give them back. A budget over even without reservations is named
 * first (`held` 0).
 */
export const ADMIT_SCRIPT = `${QUOTA_LUA_HELPERS}
local pfx, tag = ARGV[1], ARGV[2]
local ttl, purgeLimit = tonumber(ARGV[4]), tonumber(ARGV[5])
local FIRST, ITEM = 6, 8
local n = math.floor((#ARGV - FIRST + 1) / ITEM)
local WIN = 60000
local latest = 0
for i = 0, n - 1 do
  local t = tonumber(ARGV[FIRST + i * ITEM + 1])
  if t > latest then latest = t end
end
qPurgeExpired(pfx, tag, latest, purgeLimit)

local pks = nil
local budgetsOf = {}
local function scopeBudgets(kind, id)
  local k = pfx .. 'qb:' .. tag .. ':' .. kind .. ':' .. id
  local l = budgetsOf[k]
  if l == nil then
    l = {}
    local all = redis.call('HGETALL', k)
    for j = 2, #all, 2 do l[#l + 1] = cjson.decode(all[j]) end
    budgetsOf[k] = l
  end
  return l
end
local spentOf, liveOf, liveOrder = {}, {}, {}
local rlOf = {}
local function rateLimits(keyId)
  local r = rlOf[keyId]
  if r == nil then
    local v = redis.call('HMGET', pfx .. 'qrl:' .. tag .. ':' .. keyId, 'rpm', 'tpm')
    r = {rpm = tonumber(v[1]), tpm = tonumber(v[2])}
    rlOf[keyId] = r
  end
  return r
end
local winOf, winOrder = {}, {}
local zadd = {}
local pressed = false

local function admit(rid, now, usdText, tokText, model, keyId, userId, teamId)
  local estUsd, estTok = tonumber(usdText), tonumber(tokText)
  local rk = pfx .. 'qr:' .. tag .. ':' .. rid
  if redis.call('EXISTS', pfx .. 'qd:' .. tag .. ':' .. rid) == 1 then return {'done'} end
  local existing = redis.call('HMGET', rk, 's', 'sc', 'x')
  if existing[1] then return {'ok', existing[1], existing[2], existing[3], '1'} end

  -- Rate limits: estimated use = previous window x (1 - elapsed share) + current window.
  local minute = math.floor(now / WIN)
  local e = (now - minute * WIN) / WIN
  local rl = rateLimits(keyId)
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
  if rl.rpm or rl.tpm then
    wcur = pfx .. 'qw:' .. tag .. ':' .. keyId .. ':' .. minute
    -- requests, tokens (as read, plus this call's), then added here: requests, tokens
    local c = qCached(winOf, winOrder, wcur, 2, 'n', 'tok')
    local p = qCached(winOf, winOrder, pfx .. 'qw:' .. tag .. ':' .. keyId .. ':' .. (minute - 1), 2, 'n', 'tok')
    local checks = { {'rpm', rl.rpm, c[1], p[1], 1}, {'tpm', rl.tpm, c[2], p[2], estTok} }
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
  local held = nil
  local refs = {}
  local lives = {}
  for _, sp in ipairs({ {'key', keyId}, {'user', userId}, {'team', teamId}, {'tenant', '*'} }) do
    for _, b in ipairs(scopeBudgets(sp[1], sp[2])) do
      if b.m == nil or b.m == model then
        local pk = 't'
        if b.p ~= 'total' then
          if pks == nil then pks = cjson.decode(ARGV[3]) end
          local z = pks[b.z]
          if z == nil then return {'tz', b.z} end
          pk = z[b.p]
        end
        local ref = b.id .. '/' .. pk
        local s = qCached(spentOf, nil, qSpentKey(pfx, tag, ref), 0, 'usd', 'tok')
        -- reserved usd, tok, pending usd, tok (as read, plus this call's reservations), then reserved here: usd, tok
        local l = qCached(liveOf, liveOrder, qLiveKey(pfx, tag, ref), 2, 'rusd', 'rtok', 'pusd', 'ptok')
        local scope = b.k
        if b.k ~= 'tenant' then scope = b.k .. ':' .. b.s end
        -- limit, spent + pending, reserved, estimate, unit: micro-USD first, then tokens
        for _, u in ipairs({ {b.u, s[1] + l[3], l[1], estUsd, 'microUsd'}, {b.t, s[2] + l[4], l[2], estTok, 'tokens'} }) do
          local limit, settled, est = u[1], u[2], u[4]
          if limit then
            local used = settled + u[3]
            if settled + est > limit then return {'no', 'budget', scope, b.id, u[5], qnum(limit), qnum(used), '-1', '0'} end
            if used + est > limit and held == nil then held = {'no', 'budget', scope, b.id, u[5], qnum(limit), qnum(used), '-1', '1'} end
          end
        end
        refs[#refs + 1] = ref
        lives[#lives + 1] = l
      end
    end
  end

  if held then
    -- Room is held by reservations in flight, budget leases among them: tell their holders.
    if not pressed then
      redis.call('PUBLISH', pfx .. 'quota:pressure', tag)
      pressed = true
    end
    return held
  end
  -- Nothing limits this request: nothing to reserve, and nothing to settle or expire later.
  if #refs == 0 and wcur == nil then return {'ok', 'u', '[]', '0', '0'} end

  -- Everything passed: reserve (written once for the whole call, below).
  for _, l in ipairs(lives) do
    l[1] = l[1] + estUsd
    l[2] = l[2] + estTok
    l[5] = l[5] + estUsd
    l[6] = l[6] + estTok
  end
  local wk = ''
  if wcur then
    local w = winOf[wcur]
    w[1] = w[1] + 1
    w[2] = w[2] + estTok
    w[3] = w[3] + 1
    w[4] = w[4] + estTok
    wk = wcur
  end
  local sc = '[]'
  if #refs > 0 then sc = '["' .. table.concat(refs, '","') .. '"]' end
  local x = qnum(now + ttl)
  redis.call('HSET', rk, 's', 'r', 'sc', sc, 'usd', usdText, 'tok', tokText, 'w', wk, 'x', x)
  zadd[#zadd + 1] = x
  zadd[#zadd + 1] = rid
  local limited = '0'
  if wcur then limited = '1' end
  return {'ok', 'r', sc, x, '0', limited}
end

local out = {}
for i = 0, n - 1 do
  local o = FIRST + i * ITEM
  out[i + 1] = admit(ARGV[o], tonumber(ARGV[o + 1]), ARGV[o + 2], ARGV[o + 3], ARGV[o + 4], ARGV[o + 5], ARGV[o + 6], ARGV[o + 7])
end
for _, lk in ipairs(liveOrder) do
  local l = liveOf[lk]
  if l[5] ~= 0 then redis.call('HINCRBY', lk, 'rusd', qnum(l[5])) end
  if l[6] ~= 0 then redis.call('HINCRBY', lk, 'rtok', qnum(l[6])) end
end
for _, k in ipairs(winOrder) do
  local w = winOf[k]
  if w[3] ~= 0 then
    redis.call('HINCRBY', k, 'n', w[3])
    redis.call('HINCRBY', k, 'tok', qnum(w[4]))
    redis.call('PEXPIRE', k, 2 * WIN + 10000)
  end
end
if #zadd > 0 then redis.call('ZADD', KEYS[1], unpack(zadd)) end
return out
`;

/**
 * Settlement, for a group of requests of one tenant: turns each request's reservation into
 * pending spend of the actual amounts (kept until its `SpendRecorded` is projected, or until the
 * pending TTL), and tells waiting gateways (channel `qn:{tenant}`) once that room may have been
 * given back. Idempotent. A reservation that expired meanwhile is recreated as pending from the
 * scopes the caller holds. The amounts of the requests are summed per budget period and written
 * once per call.
 *
 * A request admitted under this gateway's budget leases (see `LEASE_SCRIPT`) has no record: its
 * item names the lease owner and what to take off each of its leases (`min(actual, estimate)`
 * per unit, never more than the lease holds), which moves from reserved to pending with the
 * request; taken off also when the request is `recorded` already, never when `already_settled`.
 *
 * KEYS: 1 expiry zset. ARGV: 1 pfx, 2 tag, 3 pending TTL ms; then 8 per request: requestId,
 * now ms, actual micro-USD, actual tokens, scopes JSON, lease owner ('' for none), lease debit
 * micro-USD, lease debit tokens.
 * Reply: one per request, in order: 'settled', 'already_settled', or 'recorded' (its
 * SpendRecorded was applied already).
 */
export const SETTLE_SCRIPT = `${QUOTA_LUA_HELPERS}
local pfx, tag = ARGV[1], ARGV[2]
local pendingTtl = tonumber(ARGV[3])
local FIRST, ITEM = 4, 8
local n = math.floor((#ARGV - FIRST + 1) / ITEM)
local deltas, order = {}, {}
local zadd, out = {}, {}
local gaveBack = false
-- Takes a leased request's share off each of its leases (as far as the lease holds it).
local function debitLeases(owner, sc, dUsd, dTok)
  for _, ref in ipairs(cjson.decode(sc)) do
    local lrk = pfx .. 'qr:' .. tag .. ':~L:' .. owner .. ':' .. ref
    local cur = redis.call('HMGET', lrk, 'usd', 'tok')
    if cur[1] then
      local du = math.min(dUsd, tonumber(cur[1]))
      local dt = math.min(dTok, tonumber(cur[2]))
      if du > 0 then redis.call('HINCRBY', lrk, 'usd', qnum(-du)) end
      if dt > 0 then redis.call('HINCRBY', lrk, 'tok', qnum(-dt)) end
      local lk = qLiveKey(pfx, tag, ref)
      qAddDelta(deltas, order, lk, 1, -math.max(du, 0))
      qAddDelta(deltas, order, lk, 2, -math.max(dt, 0))
      gaveBack = true
    end
  end
end
for i = 0, n - 1 do
  local o = FIRST + i * ITEM
  local rid, now, usdText, tokText = ARGV[o], tonumber(ARGV[o + 1]), ARGV[o + 2], ARGV[o + 3]
  local owner = ARGV[o + 5]
  local rk = pfx .. 'qr:' .. tag .. ':' .. rid
  if redis.call('EXISTS', pfx .. 'qd:' .. tag .. ':' .. rid) == 1 then
    if owner ~= '' then debitLeases(owner, ARGV[o + 4], tonumber(ARGV[o + 6]), tonumber(ARGV[o + 7])) end
    out[i + 1] = 'recorded'
  else
    local r = redis.call('HMGET', rk, 's', 'sc', 'usd', 'tok', 'w')
    if r[1] == 's' then
      out[i + 1] = 'already_settled'
    else
      if owner ~= '' then debitLeases(owner, ARGV[o + 4], tonumber(ARGV[o + 6]), tonumber(ARGV[o + 7])) end
      local sc = ARGV[o + 4]
      if r[1] == 'r' then
        sc = r[2]
        if r[5] and r[5] ~= '' and redis.call('EXISTS', r[5]) == 1 then
          redis.call('HINCRBY', r[5], 'tok', qnum(tonumber(tokText) - tonumber(r[4])))
        end
        for _, ref in ipairs(cjson.decode(sc)) do
          local lk = qLiveKey(pfx, tag, ref)
          qAddDelta(deltas, order, lk, 1, -tonumber(r[3]))
          qAddDelta(deltas, order, lk, 2, -tonumber(r[4]))
        end
        gaveBack = true
      end
      for _, ref in ipairs(cjson.decode(sc)) do
        local lk = qLiveKey(pfx, tag, ref)
        qAddDelta(deltas, order, lk, 3, tonumber(usdText))
        qAddDelta(deltas, order, lk, 4, tonumber(tokText))
      end
      local x = qnum(now + pendingTtl)
      redis.call('HSET', rk, 's', 's', 'sc', sc, 'usd', usdText, 'tok', tokText, 'w', '', 'x', x)
      zadd[#zadd + 1] = x
      zadd[#zadd + 1] = rid
      out[i + 1] = 'settled'
    end
  end
end
qFlushLive(deltas, order)
if #zadd > 0 then redis.call('ZADD', KEYS[1], unpack(zadd)) end
if gaveBack then qNotify(pfx, tag) end
return out
`;

/**
 * Budget leases (ADR 0013): a gateway process holds a slice of a budget period's room as one
 * reservation, `qr:{t}:~L:<owner>:<budgetId>/<periodKey>` (state `r`, its one ref in `sc`, the
 * amounts in `usd` and `tok`, in the expiry set like any reservation, so a crashed gateway's
 * lease is purged by its TTL), and admits requests against it without a round trip. Each item
 * grows (or only renews) one lease, or gives it back:
 * - `grow`: grants, per unit the budget limits, `min(add, floor(free x share))` where
 *   `free = limit - spent - pending - reserved` (every other lease and reservation included);
 *   when that is below `min` (the request that asked would not fit) for a unit with `add` > 0,
 *   grants nothing and replies `low`: the budget is nearly used, and the gateway stops leasing
 *   it (its requests go back to the per-request script with its exact check). A unit the budget
 *   does not limit is not leased (`-1`). The lease's expiry becomes `now + ttl` either way.
 * - `open`: the same for a new lease.
 * - `release`: drops the lease and announces the room on `qn:{tenant}`.
 * A budget that no longer exists drops its leases, and a lease to grow that is not there (it
 * expired) is not made again (`gone`).
 *
 * KEYS: 1 expiry zset. ARGV: 1 pfx, 2 tag, 3 now ms, 4 lease TTL ms, 5 share in per mille; then 7
 * per lease: ref, owner, op (`open` | `grow` | `release`), add micro-USD, add tokens, min micro-USD, min
 * tokens.
 * Reply: one per lease, in order: `{'ok', grantedUsd, grantedTok, expiresMs}`, `{'low', ...}`
 * (same fields, grants 0) with `-1` for a unit not leased, `{'gone'}` or `{'released'}`.
 */
export const LEASE_SCRIPT = `${QUOTA_LUA_HELPERS}
local pfx, tag = ARGV[1], ARGV[2]
local now, ttl, share = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]) / 1000
local FIRST, ITEM = 6, 7
local n = math.floor((#ARGV - FIRST + 1) / ITEM)
local out, zadd = {}, {}
local notify = false
for i = 0, n - 1 do
  local o = FIRST + i * ITEM
  local ref, owner, op = ARGV[o], ARGV[o + 1], ARGV[o + 2]
  local rid = '~L:' .. owner .. ':' .. ref
  local rk = pfx .. 'qr:' .. tag .. ':' .. rid
  local j = string.find(ref, '/', 1, true)
  local bj = nil
  if op ~= 'release' and j then bj = redis.call('HGET', pfx .. 'qbdef:' .. tag, string.sub(ref, 1, j - 1)) end
  -- A lease to grow that is gone (purged after its TTL) is not made again: its holder lost it.
  if bj and op == 'grow' and redis.call('EXISTS', rk) == 0 then bj = nil end
  if op == 'release' or not bj then
    if qDropRequest(pfx, tag, rid) then notify = true end
    if op == 'release' then out[i + 1] = {'released'} else out[i + 1] = {'gone'} end
  else
    local b = cjson.decode(bj)
    local s = redis.call('HMGET', qSpentKey(pfx, tag, ref), 'usd', 'tok')
    local lk = qLiveKey(pfx, tag, ref)
    local l = redis.call('HMGET', lk, 'rusd', 'rtok', 'pusd', 'ptok')
    -- limit, spent, reserved, pending, add, min
    local units = {
      {b.u, tonumber(s[1]) or 0, tonumber(l[1]) or 0, tonumber(l[3]) or 0, tonumber(ARGV[o + 3]), tonumber(ARGV[o + 5])},
      {b.t, tonumber(s[2]) or 0, tonumber(l[2]) or 0, tonumber(l[4]) or 0, tonumber(ARGV[o + 4]), tonumber(ARGV[o + 6])},
    }
    local grants = {-1, -1}
    local low = false
    for k, u in ipairs(units) do
      if u[1] then
        local free = u[1] - u[2] - u[3] - u[4]
        local g = math.floor(math.max(0, free) * share)
        if g > u[5] then g = u[5] end
        if u[5] > 0 and g < u[6] then low = true end
        grants[k] = g
      end
    end
    local kind = 'ok'
    if low then
      kind = 'low'
      for k = 1, 2 do
        if grants[k] > 0 then grants[k] = 0 end
      end
    end
    local x = qnum(now + ttl)
    local cur = redis.call('HMGET', rk, 'usd', 'tok')
    -- A lease refused at its first grant is not created.
    if cur[1] or not low then
      local u, t = (tonumber(cur[1]) or 0) + math.max(grants[1], 0), (tonumber(cur[2]) or 0) + math.max(grants[2], 0)
      redis.call('HSET', rk, 's', 'r', 'sc', '["' .. ref .. '"]', 'usd', qnum(u), 'tok', qnum(t), 'w', '', 'x', x)
      qAddLive(lk, 'rusd', math.max(grants[1], 0))
      qAddLive(lk, 'rtok', math.max(grants[2], 0))
      zadd[#zadd + 1] = x
      zadd[#zadd + 1] = rid
    end
    out[i + 1] = {kind, qnum(grants[1]), qnum(grants[2]), x}
  end
end
if #zadd > 0 then redis.call('ZADD', KEYS[1], unpack(zadd)) end
if notify then qNotify(pfx, tag) end
return out
`;

/**
 * Whether nothing limits a caller, reading only: the admission script's `untracked` verdict
 * (no rate limit of the key, no budget of the key, user, team or tenant that applies to the
 * model), asked again for a verdict the gate keeps (ADR 0046). Writes nothing, so it can be
 * asked in the background: a caller that limits now apply to is not counted or held by it.
 * KEYS: 1 expiry zset (for the tenant's slot only). ARGV: 1 pfx, 2 tag, 3 model, 4 keyId,
 * 5 userId, 6 teamId. Reply: 1 untracked, 0 limited.
 */
export const UNTRACKED_SCRIPT = `
local pfx, tag, model, keyId = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local rl = redis.call('HMGET', pfx .. 'qrl:' .. tag .. ':' .. keyId, 'rpm', 'tpm')
if tonumber(rl[1]) or tonumber(rl[2]) then return 0 end
for _, sp in ipairs({ {'key', keyId}, {'user', ARGV[5]}, {'team', ARGV[6]}, {'tenant', '*'} }) do
  local all = redis.call('HGETALL', pfx .. 'qb:' .. tag .. ':' .. sp[1] .. ':' .. sp[2])
  for j = 2, #all, 2 do
    local b = cjson.decode(all[j])
    if b.m == nil or b.m == model then return 0 end
  end
end
return 1
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

import { createHash } from 'node:crypto';
import { QUOTA_LUA_HELPERS } from '@totra/quota-redis';

/**
 * Applies the changes of a run of stream messages atomically, together with the checkpoint,
 * so that a redelivered message changes nothing (exactly-once effect).
 *
 * KEYS[1] = checkpoint key. ARGV[1] = JSON `[[streamSeq, [op, ...]], ...]` in stream order,
 * streamSeq as a decimal string. Returns the number of messages applied (those above the
 * checkpoint). Ops are {@link HotOp}s. Standalone Redis (or one cluster slot): the ops name
 * keys that are not in KEYS. An unknown op fails the call before anything is written. The
 * spend of a call is summed: each spent and live hash is read and written once per call.
 */
export const APPLY_SCRIPT = `${QUOTA_LUA_HELPERS}
local cp = tonumber(redis.call('GET', KEYS[1]) or '0')
local groups = cjson.decode(ARGV[1])
local last = cp
local lastText = nil
local applied = 0
-- Budget definitions read by this call (spend of many requests names the same few).
local defs = {}
local function budgetDef(budgetsKey, bid)
  local ofTenant = defs[budgetsKey]
  if ofTenant == nil then
    ofTenant = {}
    defs[budgetsKey] = ofTenant
  end
  local b = ofTenant[bid]
  if b == nil then
    local def = redis.call('HGET', budgetsKey, bid)
    b = def and cjson.decode(def) or false
    ofTenant[bid] = b
  end
  return b
end
-- An op this script does not know changes nothing: refused before anything is written.
local KNOWN = {issue = true, revoke = true, ['revoke-if-erased'] = true, erased = true, team = true, budget = true, unbudget = true, ratelimit = true, spend = true, crossed = true}
for _, g in ipairs(groups) do
  for _, op in ipairs(g[2]) do
    if not KNOWN[op[1]] then return redis.error_reply('quota-hot: unknown op ' .. tostring(op[1])) end
  end
end
-- Spend of many requests changes the same few hashes: spent and live amounts are read once,
-- kept here and written once at the end, summed (nothing else in this call reads them).
local spentOf, spentOrder = {}, {}
local liveDelta, liveOrder = {}, {}
local unexpire, unexpireOrder = {}, {}
-- Spend counted by this call, also where no marker is written (spend older than its marker).
local counted = {}
-- Redis's clock, read once per call: spend markers already expired are not written.
local clock = nil
local function nowMs()
  if clock == nil then
    local t = redis.call('TIME')
    clock = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  end
  return clock
end
-- Takes back what a request holds (reserved or pending) and forgets it (qDropRequest, summed).
local function dropHold(pfx, tag, rid)
  local rk = pfx .. 'qr:' .. tag .. ':' .. rid
  local r = redis.call('HMGET', rk, 's', 'sc', 'usd', 'tok')
  if not r[1] then return end
  local fu, ft = 1, 2
  if r[1] == 's' then fu, ft = 3, 4 end
  for _, ref in ipairs(cjson.decode(r[2])) do
    local lk = qLiveKey(pfx, tag, ref)
    qAddDelta(liveDelta, liveOrder, lk, fu, -tonumber(r[3]))
    qAddDelta(liveDelta, liveOrder, lk, ft, -tonumber(r[4]))
  end
  redis.call('DEL', rk)
  local xk = pfx .. 'qx:' .. tag
  local ids = unexpire[xk]
  if ids == nil then
    ids = {}
    unexpire[xk] = ids
    unexpireOrder[#unexpireOrder + 1] = xk
  end
  ids[#ids + 1] = rid
end
for _, g in ipairs(groups) do
  local seq = tonumber(g[1])
  if seq > last then
    for _, op in ipairs(g[2]) do
      local kind = op[1]
      if kind == 'issue' then
        if redis.call('EXISTS', op[3]) == 0 then
          redis.call('DEL', op[2])
          redis.call('HSET', op[2], unpack(op, 5))
          redis.call('SET', op[3], op[4])
        end
      elseif kind == 'revoke' then
        local h = redis.call('GET', op[2])
        if h then
          local rk = op[3] .. h .. op[4]
          if redis.call('HGET', rk, 'revoked') ~= '1' then
            redis.call('HSET', rk, 'revoked', '1', 'revokedAt', op[5])
          end
          redis.call('PUBLISH', op[6], h)
        end
      elseif kind == 'revoke-if-erased' then
        local h = redis.call('EXISTS', op[2]) == 1 and redis.call('GET', op[3])
        if h then
          local rk = op[4] .. h .. op[5]
          if redis.call('HGET', rk, 'revoked') ~= '1' then
            redis.call('HSET', rk, 'revoked', '1', 'revokedAt', op[6])
          end
          redis.call('PUBLISH', op[7], h)
        end
      elseif kind == 'erased' then
        redis.call('SET', op[2], op[3], 'NX')
      elseif kind == 'team' then
        redis.call('HSET', op[2], 'cidrs', op[3])
        redis.call('PUBLISH', op[4], op[2])
      elseif kind == 'budget' then
        defs = {}
        local old = redis.call('HGET', op[2], op[3])
        if old then redis.call('HDEL', cjson.decode(old).ix, op[3]) end
        redis.call('HSET', op[2], op[3], op[4])
        redis.call('HSET', op[5], op[3], op[4])
        redis.call('PUBLISH', op[6], op[7])
      elseif kind == 'unbudget' then
        defs = {}
        local old = redis.call('HGET', op[2], op[3])
        if old then
          redis.call('HDEL', cjson.decode(old).ix, op[3])
          redis.call('HDEL', op[2], op[3])
        end
        redis.call('PUBLISH', op[4], op[5])
      elseif kind == 'ratelimit' then
        redis.call('DEL', op[2])
        if op[3] ~= '' then redis.call('HSET', op[2], 'rpm', op[3]) end
        if op[4] ~= '' then redis.call('HSET', op[2], 'tpm', op[4]) end
        redis.call('PUBLISH', op[5], op[6])
      elseif kind == 'spend' then
        local pfx, tag, rid = op[2], op[3], op[4]
        local dk = pfx .. 'qd:' .. tag .. ':' .. rid
        if op[7] == '[]' then
          -- No budget counts it: nothing to add, so no marker against counting it twice (one
          -- per request would fill Redis); only a rate-limit hold, if any, is forgotten.
          dropHold(pfx, tag, rid)
        elseif not counted[dk] and redis.call('EXISTS', dk) == 0 then
          counted[dk] = true
          dropHold(pfx, tag, rid)
          local usd, tok = tonumber(op[5]), tonumber(op[6])
          for _, ref in ipairs(cjson.decode(op[7])) do
            -- spent usd, tok (as read, plus this call's), then added here: usd, tok
            local s = qCached(spentOf, spentOrder, qSpentKey(pfx, tag, ref), 2, 'usd', 'tok')
            local wasUsd, wasTok = s[1], s[2]
            s[1], s[2], s[3], s[4] = s[1] + usd, s[2] + tok, s[3] + usd, s[4] + tok
            local su, st = s[1], s[2]
            local i = string.find(ref, '/', 1, true)
            local bid, pk = string.sub(ref, 1, i - 1), string.sub(ref, i + 1)
            local b = budgetDef(op[11], bid)
            if b then
              local lim, was, now = b.u, wasUsd, su
              if not lim then lim, was, now = b.t, wasTok, st end
              if lim and lim > 0 then
                for _, th in ipairs(b.th) do
                  if was * 100 < th * lim and now * 100 >= th * lim
                    and redis.call('SADD', pfx .. 'qa:' .. tag .. ':' .. bid .. ':' .. pk, th) == 1 then
                    local f = {'tenant', op[10], 'budgetId', bid, 'periodKey', pk, 'threshold', th, 'spentMicroUsd', qnum(su)}
                    if b.u then f[#f + 1] = 'limitMicroUsd'; f[#f + 1] = qnum(b.u) end
                    if b.t then
                      f[#f + 1] = 'spentTokens'; f[#f + 1] = qnum(st)
                      f[#f + 1] = 'limitTokens'; f[#f + 1] = qnum(b.t)
                    end
                    redis.call('XADD', op[9], 'MAXLEN', '~', '100000', '*', unpack(f))
                  end
                end
              end
            end
          end
          if tonumber(op[8]) > nowMs() then redis.call('SET', dk, '1', 'PXAT', op[8]) end
        end
      elseif kind == 'crossed' then
        redis.call('SADD', op[2], op[3])
      end
    end
    last = seq
    lastText = g[1]
    applied = applied + 1
  end
end
qFlushLive(liveDelta, liveOrder)
for _, xk in ipairs(unexpireOrder) do
  local ids = unexpire[xk]
  for i = 1, #ids, 1000 do redis.call('ZREM', xk, unpack(ids, i, math.min(i + 999, #ids))) end
end
for _, sk in ipairs(spentOrder) do
  local s = spentOf[sk]
  redis.call('HINCRBY', sk, 'usd', qnum(s[3]))
  redis.call('HINCRBY', sk, 'tok', qnum(s[4]))
end
if lastText then
  redis.call('SET', KEYS[1], lastText)
end
return applied
`;

export const APPLY_SCRIPT_SHA1 = createHash('sha1').update(APPLY_SCRIPT).digest('hex');

import { createHash } from 'node:crypto';

/**
 * Applies the changes of a run of stream messages atomically, together with the checkpoint,
 * so that a redelivered message changes nothing (exactly-once effect).
 *
 * KEYS[1] = checkpoint key. ARGV[1] = JSON `[[streamSeq, [op, ...]], ...]` in stream order,
 * streamSeq as a decimal string. Returns the number of messages applied (those above the
 * checkpoint). Ops are {@link HotOp}s. Standalone Redis (or one cluster slot): the ops name
 * keys that are not in KEYS.
 */
export const APPLY_SCRIPT = `
local cp = tonumber(redis.call('GET', KEYS[1]) or '0')
local groups = cjson.decode(ARGV[1])
local last = cp
local lastText = nil
local applied = 0
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
      elseif kind == 'team' then
        redis.call('HSET', op[2], 'cidrs', op[3])
        redis.call('PUBLISH', op[4], op[2])
      else
        return redis.error_reply('quota-hot: unknown op ' .. tostring(kind))
      end
    end
    last = seq
    lastText = g[1]
    applied = applied + 1
  end
end
if lastText then
  redis.call('SET', KEYS[1], lastText)
end
return applied
`;

export const APPLY_SCRIPT_SHA1 = createHash('sha1').update(APPLY_SCRIPT).digest('hex');

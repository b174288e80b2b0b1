/**
 * Lua scripts that make each batch transition atomic in Redis: a transition writes the record's fields
 * and appends the matching status event (gap-free per-batch sequence) in one step.
 */

/** KEYS: batch hash, events stream. ARGV: now, message, errorCode, then field/value pairs. Returns seq. */
export const APPEND_EVENT = `
for i = 4, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('HSET', KEYS[1], 'updatedMs', ARGV[1])
local seq = redis.call('HINCRBY', KEYS[1], 'eventSeq', 1)
local f = redis.call('HMGET', KEYS[1], 'state', 'verified', 'transfers', 'settlementTx', 'block')
redis.call('XADD', KEYS[2], '*', 'seq', seq, 'state', f[1], 'verified', f[2] or '0', 'transfers', f[3] or '0',
  'message', ARGV[2], 'settlementTx', f[4] or '', 'block', f[5] or '0', 'errorCode', ARGV[3], 'at', ARGV[1])
return seq
`;

/**
 * KEYS: batch hash, intents string, used-intents set, events stream, pending list.
 * ARGV: batchId, bankId, idempotencyKey, requestHash, transfers, intentsJson, now, then intent nullifiers.
 * Returns {'OK'} | {'DUP', state} | {'CONFLICT'} | {'NONCE', index}.
 */
export const CREATE_BATCH = `
if redis.call('EXISTS', KEYS[1]) == 1 then
  if redis.call('HGET', KEYS[1], 'requestHash') == ARGV[4] then
    return {'DUP', redis.call('HGET', KEYS[1], 'state')}
  end
  return {'CONFLICT'}
end
for i = 8, #ARGV do
  if redis.call('SISMEMBER', KEYS[3], ARGV[i]) == 1 then return {'NONCE', tostring(i - 8)} end
end
for i = 8, #ARGV do redis.call('SADD', KEYS[3], ARGV[i]) end
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'bankId', ARGV[2], 'idempotencyKey', ARGV[3], 'requestHash', ARGV[4],
  'state', 'ACCEPTED', 'transfers', ARGV[5], 'verified', '0', 'planVersion', '0', 'createdMs', ARGV[7], 'updatedMs', ARGV[7],
  'eventSeq', '1')
redis.call('SET', KEYS[2], ARGV[6])
redis.call('XADD', KEYS[4], '*', 'seq', '1', 'state', 'ACCEPTED', 'verified', '0', 'transfers', ARGV[5],
  'message', 'accepted', 'settlementTx', '', 'block', '0', 'errorCode', '', 'at', ARGV[7])
redis.call('RPUSH', KEYS[5], ARGV[1])
return {'OK'}
`;

/**
 * Records a verified proof once. KEYS: batch hash, events stream, proofs hash.
 * ARGV: now, planVersion, index, proofJson. Returns verified count, or -1 obsolete plan, -2 not proving, -3 duplicate.
 */
export const ACCEPT_PROOF = `
if redis.call('HGET', KEYS[1], 'planVersion') ~= ARGV[2] then return -1 end
if redis.call('HGET', KEYS[1], 'state') ~= 'PROVING' then return -2 end
if redis.call('HSETNX', KEYS[3], ARGV[3], ARGV[4]) == 0 then return -3 end
local v = redis.call('HINCRBY', KEYS[1], 'verified', 1)
local total = tonumber(redis.call('HGET', KEYS[1], 'transfers'))
local msg = 'transfer ' .. ARGV[3] .. ' proved and verified'
if v >= total then
  redis.call('HSET', KEYS[1], 'state', 'VERIFIED')
  msg = 'all proofs verified'
end
redis.call('HSET', KEYS[1], 'updatedMs', ARGV[1])
local seq = redis.call('HINCRBY', KEYS[1], 'eventSeq', 1)
local f = redis.call('HMGET', KEYS[1], 'state', 'verified', 'transfers', 'settlementTx', 'block')
redis.call('XADD', KEYS[2], '*', 'seq', seq, 'state', f[1], 'verified', f[2], 'transfers', f[3],
  'message', msg, 'settlementTx', f[4] or '', 'block', f[5] or '0', 'errorCode', '', 'at', ARGV[1])
return v
`;

import { BATCH_STATES } from './batch-states.ts';

/**
 * Lua scripts that make each batch transition atomic in Redis. Every transition script starts with the
 * same compare-and-set: the record exists, its state is one the transition table allows, and (when the
 * caller names one) its plan version is the expected one; then it writes its fields and appends the
 * status event (gap-free per-batch sequence) in the same step.
 *
 * Transition scripts share their first keys and arguments:
 * KEYS[1] batch hash, KEYS[2] events stream, and, always LAST, the leader's fencing-token key;
 * ARGV[1] now, ARGV[2] allowed states (comma separated), ARGV[3] expected plan version ('' for any),
 * ARGV[4] event message, ARGV[5] event error code, ARGV[6] the writer's fencing token ('' when it holds
 * no lease: allowed only while no leader was ever elected); their own arguments follow.
 * A writer whose token is not the current one is refused with {'FENCED'}: a stale leader writes nothing.
 * Just before the fencing key, every transition script takes the per-state listing indexes (see INDEX):
 * the status event that ends each transition moves the batch between them in the same step.
 */
const FENCE = `
local function fenced(key, token)
  local cur = redis.call('GET', key)
  if token == '' then return cur ~= false end
  return cur ~= token
end
`;

/** How many per-state listing index keys a transition script takes (one per state, before the fencing key). */
export const STATE_INDEX_KEYS = BATCH_STATES.length;

/**
 * The listing index: lexicographic sorted sets (score 0) whose members are `<createdMs, 16 digits>:<id>`,
 * so that member order is creation order (ties by id): every batch, one set per bank, one per state.
 * \`reindex(hash, first, before)\` moves a batch whose state changed from \`before\` out of that state's
 * set (KEYS[first .. first + STATE_INDEX_KEYS - 1], each named \`...:<STATE>\`) into its current state's set.
 */
const INDEX = `
local function index_member(hash)
  local f = redis.call('HMGET', hash, 'createdMs', 'id')
  local ms = f[1] or '0'
  return string.rep('0', 16 - #ms) .. ms .. ':' .. f[2]
end
local function state_key(first, state)
  if not state then return nil end
  local suffix = ':' .. state
  for i = first, first + ${STATE_INDEX_KEYS} - 1 do
    if string.sub(KEYS[i], -#suffix) == suffix then return KEYS[i] end
  end
  return nil
end
local function reindex(hash, first, before)
  local now = redis.call('HGET', hash, 'state')
  if now == before then return end
  local member = index_member(hash)
  local old = state_key(first, before)
  if old then redis.call('ZREM', old, member) end
  local new = state_key(first, now)
  if new then redis.call('ZADD', new, 0, member) end
end
`;

const PRELUDE = `${FENCE}${INDEX}
local state_before = nil
local function refused()
  if fenced(KEYS[#KEYS], ARGV[6]) then return {'FENCED'} end
  if redis.call('EXISTS', KEYS[1]) == 0 then return {'MISSING'} end
  local f = redis.call('HMGET', KEYS[1], 'state', 'planVersion')
  if not string.find(',' .. ARGV[2] .. ',', ',' .. f[1] .. ',', 1, true) then return {'STATE', f[1], f[2] or '0'} end
  if ARGV[3] ~= '' and f[2] ~= ARGV[3] then return {'VERSION', f[1], f[2] or '0'} end
  state_before = f[1]
  return nil
end
local function event(message)
  reindex(KEYS[1], #KEYS - ${STATE_INDEX_KEYS}, state_before)
  redis.call('HSET', KEYS[1], 'updatedMs', ARGV[1])
  local seq = redis.call('HINCRBY', KEYS[1], 'eventSeq', 1)
  local f = redis.call('HMGET', KEYS[1], 'state', 'verified', 'transfers', 'settlementTx', 'block', 'proofs')
  redis.call('XADD', KEYS[2], '*', 'seq', seq, 'state', f[1], 'verified', f[2] or '0', 'transfers', f[3] or '0', 'proofs', f[6] or '0',
    'message', message, 'settlementTx', f[4] or '', 'block', f[5] or '0', 'errorCode', ARGV[5], 'at', ARGV[1])
  return seq
end
local no = refused()
if no then return no end
`;

/** ARGV[7..]: field/value pairs to set. */
export const SET_FIELDS = `${PRELUDE}
for i = 7, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
return {'OK', event(ARGV[4])}
`;

/**
 * KEYS[3] plan, [4] ledger delta, [5] proofs, [6] attempts, [7] open list, [8] pending list.
 * ARGV[7] plan JSON, [8] ledger delta JSON, [9] '1' for a re-plan, [10] new version, [11] rootBefore, [12] rootAfter,
 * [13] the proofs the plan needs.
 */
export const RECORD_PLAN = `${PRELUDE}
redis.call('SET', KEYS[3], ARGV[7])
redis.call('SET', KEYS[4], ARGV[8])
redis.call('DEL', KEYS[5], KEYS[6])
redis.call('HSET', KEYS[1], 'state', 'PLANNED', 'planVersion', ARGV[10], 'verified', '0', 'rootBefore', ARGV[11], 'rootAfter', ARGV[12], 'proofs', ARGV[13])
if ARGV[9] ~= '1' then
  local id = redis.call('HGET', KEYS[1], 'id')
  redis.call('LREM', KEYS[7], 0, id)
  redis.call('RPUSH', KEYS[7], id)
  redis.call('LREM', KEYS[8], 0, id)
end
return {'OK', event(ARGV[4])}
`;

/**
 * Marks the batch FAILED, takes it off the queues (its ledger delta with it) and lists it as final (for
 * pruning); ARGV[first..] are its intent nullifiers, given back.
 */
const FAIL_BODY = `
local function fail(first)
  local id = redis.call('HGET', KEYS[1], 'id')
  redis.call('HSET', KEYS[1], 'state', 'FAILED', 'errorCode', ARGV[7], 'error', ARGV[8])
  for i = first, #ARGV do redis.call('SREM', KEYS[3], ARGV[i]) end
  redis.call('LREM', KEYS[4], 0, id)
  redis.call('LREM', KEYS[5], 0, id)
  redis.call('DEL', KEYS[6])
  redis.call('ZADD', KEYS[7], ARGV[1], id)
  return {'OK', event(ARGV[4])}
end
`;

/**
 * KEYS[3] used-intents set, [4] open list, [5] pending list, [6] ledger delta, [7] final-batches set.
 * ARGV[7] the record's error code, [8] its error text, then the batch's intent nullifiers (given back:
 * its transfers never happened).
 */
export const FAIL = `${PRELUDE}${FAIL_BODY}
return fail(9)
`;

/**
 * FAIL plus the durable record of the re-planning it starts: KEYS as FAIL, then [8] the re-plan marker.
 * ARGV[7], [8] as FAIL, [9] the marker (JSON), [10] k = how many batches follow it on the open list,
 * [11 .. 10+k] their ids (refused with OPEN_CHANGED if the list says otherwise), then the nullifiers.
 * Refused with REPLAN_PENDING while an earlier marker is unfinished.
 */
export const FAIL_AND_MARK_REPLAN = `${PRELUDE}${FAIL_BODY}
if redis.call('EXISTS', KEYS[8]) == 1 then return {'REPLAN_PENDING'} end
local id = redis.call('HGET', KEYS[1], 'id')
local open = redis.call('LRANGE', KEYS[4], 0, -1)
local at = nil
for i = 1, #open do if open[i] == id then at = i end end
local k = tonumber(ARGV[10])
if at == nil then
  if k ~= 0 then return {'OPEN_CHANGED'} end
else
  if #open - at ~= k then return {'OPEN_CHANGED'} end
  for j = 1, k do if open[at + j] ~= ARGV[10 + j] then return {'OPEN_CHANGED'} end end
end
if k > 0 then redis.call('SET', KEYS[8], ARGV[9]) end
return fail(11 + k)
`;

/** KEYS[3] proofs hash. ARGV[7] proof index, [8] proof JSON. Answers {'OK', seq, verified, complete}. */
export const ACCEPT_PROOF = `${PRELUDE}
if redis.call('HSETNX', KEYS[3], ARGV[7], ARGV[8]) == 0 then return {'DUPLICATE'} end
local v = redis.call('HINCRBY', KEYS[1], 'verified', 1)
local total = tonumber(redis.call('HGET', KEYS[1], 'proofs'))
if v >= total then
  redis.call('HSET', KEYS[1], 'state', 'VERIFIED')
  return {'OK', event('all proofs verified'), v, 1}
end
return {'OK', event(ARGV[4]), v, 0}
`;

/** KEYS[3] proofs hash. ARGV[7..] indices of the proofs to drop. */
export const REPROVE = `${PRELUDE}
for i = 7, #ARGV do redis.call('HDEL', KEYS[3], ARGV[i]) end
redis.call('HSET', KEYS[1], 'state', 'PROVING', 'verified', redis.call('HLEN', KEYS[3]))
return {'OK', event(ARGV[4])}
`;

/**
 * Moves the final ledger snapshot over the first n batches of the open list at once, if they are still
 * its head and each is done. The caller computed the new final snapshot from the one it read and their
 * deltas; only this script sets the final snapshot, in the same step as it pops its batches, so the
 * open list still starting with them means the snapshot read is still the final one.
 * KEYS: [1] open list, [2] final snapshot, [3] final-batches set, then per batch i (1..n) [3i+1] its
 * hash, [3i+2] its ledger delta, [3i+3] its full snapshot from older versions, and last the fencing key.
 * ARGV: [1] the fencing token, [2] the done states (comma separated), [3] the new final snapshot ('' to
 * keep it), [4] now, [5..4+n] the batch ids. Returns n when it moved, 0 when the list or a state
 * changed meanwhile, -1 when the writer is fenced off.
 */
export const FINALIZE_HEADS = `${FENCE}
if fenced(KEYS[#KEYS], ARGV[1]) then return -1 end
local n = #ARGV - 4
for i = 1, n do
  if redis.call('LINDEX', KEYS[1], i - 1) ~= ARGV[4 + i] then return 0 end
  local st = redis.call('HGET', KEYS[3 * i + 1], 'state')
  if st and not string.find(',' .. ARGV[2] .. ',', ',' .. st .. ',', 1, true) then return 0 end
end
if ARGV[3] ~= '' then redis.call('SET', KEYS[2], ARGV[3]) end
for i = 1, n do
  redis.call('DEL', KEYS[3 * i + 2], KEYS[3 * i + 3])
  redis.call('LPOP', KEYS[1])
  redis.call('ZADD', KEYS[3], ARGV[4], ARGV[4 + i])
end
return n
`;

/**
 * Prunes one final batch down to its audit record: deletes its intents, status events, plan, proofs,
 * job attempts and ledger data, and rewrites its hash with the audit fields only (and `prunedMs`).
 * Refused, writing nothing, unless the batch is in one of the allowed (final) states, on neither the
 * open list nor the planning queue, and final since `cutoff` or earlier; a batch already pruned, gone or
 * not final is taken off the final-batches set (it is listed again if it becomes final).
 * KEYS: [1] hash, [2] intents, [3] events, [4] plan, [5] proofs, [6] attempts, [7] ledger delta,
 * [8] full snapshot from older versions, [9] final-batches set, [10] open list, [11] pending list,
 * [12] fencing key. ARGV: [1] fencing token, [2] batch id, [3] allowed states, [4] cutoff (ms),
 * [5] now, [6..] the audit fields. Answers {'OK'} | {'PRUNED'} | {'MISSING'} | {'STATE', state} |
 * {'OPEN'} | {'YOUNG'} | {'FENCED'}.
 */
export const PRUNE_BATCH = `${FENCE}
if fenced(KEYS[12], ARGV[1]) then return {'FENCED'} end
local id = ARGV[2]
if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('ZREM', KEYS[9], id) return {'MISSING'} end
if redis.call('HEXISTS', KEYS[1], 'prunedMs') == 1 then redis.call('ZREM', KEYS[9], id) return {'PRUNED'} end
local st = redis.call('HGET', KEYS[1], 'state')
if not string.find(',' .. ARGV[3] .. ',', ',' .. st .. ',', 1, true) then redis.call('ZREM', KEYS[9], id) return {'STATE', st} end
if redis.call('LPOS', KEYS[10], id) or redis.call('LPOS', KEYS[11], id) then redis.call('ZREM', KEYS[9], id) return {'OPEN'} end
local at = redis.call('ZSCORE', KEYS[9], id) or redis.call('HGET', KEYS[1], 'updatedMs') or '0'
if tonumber(at) > tonumber(ARGV[4]) then return {'YOUNG'} end
local fields = {}
for i = 6, #ARGV do fields[#fields + 1] = ARGV[i] end
local vals = redis.call('HMGET', KEYS[1], unpack(fields))
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8])
local kv = {'prunedMs', ARGV[5]}
for i = 1, #fields do
  if vals[i] then kv[#kv + 1] = fields[i]; kv[#kv + 1] = vals[i] end
end
redis.call('HSET', KEYS[1], unpack(kv))
redis.call('ZREM', KEYS[9], id)
return {'OK'}
`;

/**
 * KEYS: batch hash, intents string, used-intents set, events stream, pending list, then the listing
 * index: every batch, the bank's, the ACCEPTED state's.
 * ARGV: batchId, bankId, idempotencyKey, requestHash, transfers, intentsJson, now, then intent nullifiers.
 * Returns {'OK'} | {'DUP', state} | {'CONFLICT'} | {'NONCE', index}.
 */
export const CREATE_BATCH = `${INDEX}
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
local member = index_member(KEYS[1])
redis.call('ZADD', KEYS[6], 0, member)
redis.call('ZADD', KEYS[7], 0, member)
redis.call('ZADD', KEYS[8], 0, member)
return {'OK'}
`;

/**
 * Lists one batch in the listing index as its record says now (for records written before the index
 * existed), fenced. KEYS: [1] its hash, [2] every-batch index, [3] its bank's index, [4 .. 3 +
 * STATE_INDEX_KEYS] the per-state indexes, last the fencing key. ARGV: [1] the fencing token, [2] the
 * bank id the caller read (KEYS[3] is its index). Answers {'OK'} | {'MISSING'} | {'BANK_CHANGED'} | {'FENCED'}.
 */
export const INDEX_BATCH = `${FENCE}${INDEX}
if fenced(KEYS[#KEYS], ARGV[1]) then return {'FENCED'} end
if redis.call('EXISTS', KEYS[1]) == 0 then return {'MISSING'} end
if redis.call('HGET', KEYS[1], 'bankId') ~= ARGV[2] then return {'BANK_CHANGED'} end
local member = index_member(KEYS[1])
local state = redis.call('HGET', KEYS[1], 'state')
for i = 4, 3 + ${STATE_INDEX_KEYS} do
  if string.sub(KEYS[i], -(#state + 1)) == ':' .. state then redis.call('ZADD', KEYS[i], 0, member) else redis.call('ZREM', KEYS[i], member) end
end
redis.call('ZADD', KEYS[2], 0, member)
redis.call('ZADD', KEYS[3], 0, member)
return {'OK'}
`;

/**
 * One plain write, fenced: KEYS[1] the key written, KEYS[2] the fencing key; ARGV[1] the fencing token,
 * ARGV[2] the command (HSET, HINCRBY, DEL, LREM or ZADD), ARGV[3..] its arguments after the key.
 * Answers {'OK', result} or {'FENCED'}.
 */
export const FENCED_WRITE = `${FENCE}
if fenced(KEYS[2], ARGV[1]) then return {'FENCED'} end
local cmd = ARGV[2]
if cmd ~= 'HSET' and cmd ~= 'HINCRBY' and cmd ~= 'DEL' and cmd ~= 'LREM' and cmd ~= 'ZADD' then return redis.error_reply('command not allowed: ' .. cmd) end
return {'OK', redis.call(cmd, KEYS[1], unpack(ARGV, 3))}
`;

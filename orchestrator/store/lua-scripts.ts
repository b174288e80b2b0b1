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
 */
const FENCE = `
local function fenced(key, token)
  local cur = redis.call('GET', key)
  if token == '' then return cur ~= false end
  return cur ~= token
end
`;

const PRELUDE = `${FENCE}
local function refused()
  if fenced(KEYS[#KEYS], ARGV[6]) then return {'FENCED'} end
  if redis.call('EXISTS', KEYS[1]) == 0 then return {'MISSING'} end
  local f = redis.call('HMGET', KEYS[1], 'state', 'planVersion')
  if not string.find(',' .. ARGV[2] .. ',', ',' .. f[1] .. ',', 1, true) then return {'STATE', f[1], f[2] or '0'} end
  if ARGV[3] ~= '' and f[2] ~= ARGV[3] then return {'VERSION', f[1], f[2] or '0'} end
  return nil
end
local function event(message)
  redis.call('HSET', KEYS[1], 'updatedMs', ARGV[1])
  local seq = redis.call('HINCRBY', KEYS[1], 'eventSeq', 1)
  local f = redis.call('HMGET', KEYS[1], 'state', 'verified', 'transfers', 'settlementTx', 'block')
  redis.call('XADD', KEYS[2], '*', 'seq', seq, 'state', f[1], 'verified', f[2] or '0', 'transfers', f[3] or '0',
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
 * KEYS[3] plan, [4] after-snapshot, [5] proofs, [6] attempts, [7] open list, [8] pending list.
 * ARGV[7] plan JSON, [8] snapshot JSON, [9] '1' for a re-plan, [10] new version, [11] rootBefore, [12] rootAfter.
 */
export const RECORD_PLAN = `${PRELUDE}
redis.call('SET', KEYS[3], ARGV[7])
redis.call('SET', KEYS[4], ARGV[8])
redis.call('DEL', KEYS[5], KEYS[6])
redis.call('HSET', KEYS[1], 'state', 'PLANNED', 'planVersion', ARGV[10], 'verified', '0', 'rootBefore', ARGV[11], 'rootAfter', ARGV[12])
if ARGV[9] ~= '1' then
  local id = redis.call('HGET', KEYS[1], 'id')
  redis.call('LREM', KEYS[7], 0, id)
  redis.call('RPUSH', KEYS[7], id)
  redis.call('LREM', KEYS[8], 0, id)
end
return {'OK', event(ARGV[4])}
`;

/** Marks the batch FAILED and takes it off the queues; ARGV[first..] are its intent nullifiers, given back. */
const FAIL_BODY = `
local function fail(first)
  local id = redis.call('HGET', KEYS[1], 'id')
  redis.call('HSET', KEYS[1], 'state', 'FAILED', 'errorCode', ARGV[7], 'error', ARGV[8])
  for i = first, #ARGV do redis.call('SREM', KEYS[3], ARGV[i]) end
  redis.call('LREM', KEYS[4], 0, id)
  redis.call('LREM', KEYS[5], 0, id)
  redis.call('DEL', KEYS[6])
  return {'OK', event(ARGV[4])}
end
`;

/**
 * KEYS[3] used-intents set, [4] open list, [5] pending list, [6] after-snapshot.
 * ARGV[7] the record's error code, [8] its error text, then the batch's intent nullifiers (given back:
 * its transfers never happened).
 */
export const FAIL = `${PRELUDE}${FAIL_BODY}
return fail(9)
`;

/**
 * FAIL plus the durable record of the re-planning it starts: KEYS as FAIL, then [7] the re-plan marker.
 * ARGV[7], [8] as FAIL, [9] the marker (JSON), [10] k = how many batches follow it on the open list,
 * [11 .. 10+k] their ids (refused with OPEN_CHANGED if the list says otherwise), then the nullifiers.
 * Refused with REPLAN_PENDING while an earlier marker is unfinished.
 */
export const FAIL_AND_MARK_REPLAN = `${PRELUDE}${FAIL_BODY}
if redis.call('EXISTS', KEYS[7]) == 1 then return {'REPLAN_PENDING'} end
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
if k > 0 then redis.call('SET', KEYS[7], ARGV[9]) end
return fail(11 + k)
`;

/** KEYS[3] proofs hash. ARGV[7] transfer index, [8] proof JSON. Answers {'OK', seq, verified, complete}. */
export const ACCEPT_PROOF = `${PRELUDE}
if redis.call('HSETNX', KEYS[3], ARGV[7], ARGV[8]) == 0 then return {'DUPLICATE'} end
local v = redis.call('HINCRBY', KEYS[1], 'verified', 1)
local total = tonumber(redis.call('HGET', KEYS[1], 'transfers'))
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
 * Moves the final ledger snapshot over the head of the open list if that batch is done.
 * KEYS: open list, final snapshot, the head's batch hash, the head's after-snapshot, the fencing key.
 * ARGV: the head's id, the done states (comma separated), the fencing token. Returns 1 if it moved,
 * 0 if not, -1 when the writer is fenced off.
 */
export const FINALIZE_HEAD = `${FENCE}
if fenced(KEYS[5], ARGV[3]) then return -1 end
if redis.call('LINDEX', KEYS[1], 0) ~= ARGV[1] then return 0 end
local st = redis.call('HGET', KEYS[3], 'state')
if st and not string.find(',' .. ARGV[2] .. ',', ',' .. st .. ',', 1, true) then return 0 end
local after = redis.call('GET', KEYS[4])
if after then redis.call('SET', KEYS[2], after) end
redis.call('DEL', KEYS[4])
redis.call('LPOP', KEYS[1])
return 1
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
 * One plain write, fenced: KEYS[1] the key written, KEYS[2] the fencing key; ARGV[1] the fencing token,
 * ARGV[2] the command (HSET, HINCRBY, DEL or LREM), ARGV[3..] its arguments after the key.
 * Answers {'OK', result} or {'FENCED'}.
 */
export const FENCED_WRITE = `${FENCE}
if fenced(KEYS[2], ARGV[1]) then return {'FENCED'} end
local cmd = ARGV[2]
if cmd ~= 'HSET' and cmd ~= 'HINCRBY' and cmd ~= 'DEL' and cmd ~= 'LREM' then return redis.error_reply('command not allowed: ' .. cmd) end
return {'OK', redis.call(cmd, KEYS[1], unpack(ARGV, 3))}
`;

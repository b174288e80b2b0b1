import { entryVersion, MAX_TTL_MS, type EntryVersion, type MemberEntry } from './member-entry.ts';
import { REPUTATION_MAX_LIFE_MS, reputationKey, reputationVersion, type ReputationRecord } from './reputation-record.ts';

/**
 * What the membership map holds: workers' member entries and observers' reputation records, side by
 * side under one key space (hex(32)): a member entry under its worker id, a reputation record under
 * reputationKey(observer, subject). Each key has one signer (the worker, or the observer), whose HLC and
 * signature make the record's version.
 */
export type MembershipRecord = MemberEntry | ReputationRecord;

export function isReputationRecord(record: MembershipRecord): record is ReputationRecord {
  return 'kind' in record && record.kind === 'reputation';
}

/** The record's key in the map. */
export function recordKey(record: MembershipRecord): string {
  return isReputationRecord(record) ? reputationKey(record.observer, record.subject) : record.workerId;
}

/** The record's version (its signer's HLC, then its signature). */
export function recordVersion(record: MembershipRecord): EntryVersion {
  return isReputationRecord(record) ? reputationVersion(record) : entryVersion(record);
}

/** The longest life a record of this kind may sign for itself (how long its tombstone must refuse older copies). */
export function maxLifeMs(record: MembershipRecord): number {
  return isReputationRecord(record) ? REPUTATION_MAX_LIFE_MS : MAX_TTL_MS;
}

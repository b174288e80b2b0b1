import type { BatchStateName } from './batch-states.ts';

/**
 * The listing index's member of a batch: `<createdMs, zero-padded to 16 digits>:<id>`. Members of one
 * index sort (lexicographically, all with score 0) in creation order, ties by id; the Lua side builds
 * the same string (lua-scripts.ts, INDEX).
 */
export function indexMember(createdMs: number, id: string): string {
  return `${String(createdMs).padStart(16, '0')}:${id}`;
}

/** What a member says: when the batch was created and its id (null: not a member's shape). */
export function parseIndexMember(member: string): { createdMs: number; id: string } | null {
  const m = /^(\d{16}):([\x21-\x7e]{1,200})$/.exec(member);
  return m ? { createdMs: Number(m[1]), id: m[2]! } : null;
}

/** A page of the batch listing: newest first, filtered by state and/or bank. */
export interface BatchListQuery {
  state?: BatchStateName;
  bankId?: string;
  /** At most this many batches. */
  limit: number;
  /** Continue after this index member (the `next` of the page before). */
  after?: string;
}

export interface BatchListPage<T> {
  items: T[];
  /** The index member to continue after; absent on the last page. */
  next?: string;
}

/**
 * Index entries one listing request examines at most: with both a state and a bank filter only one is
 * served by an index, and a page may then end early (with `next`) rather than walk a whole index.
 */
export const LIST_SCAN_BUDGET = 2_000;

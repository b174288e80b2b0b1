import type { MemberEntry } from '../../swarm/membership/member-entry.ts';

/** Where the aggregator looks members up: its membership replica (swarm/membership/membership-service.ts). */
export interface MemberSource {
  /** The worker's live entry (signed, admitted, unexpired), if it is a member. */
  member(workerId: string): MemberEntry | undefined;
  /** The worker's reputation (0..100) from every aggregator's signed observations. */
  reputationOf(workerId: string): number;
}

/** A live member's signed entry, or why the worker is not one. */
export function liveMember(members: MemberSource, workerId: string): { entry: MemberEntry } | { problem: string } {
  const entry = members.member(workerId);
  return entry ? { entry } : { problem: 'not a live member: this replica holds no unexpired signed entry of the worker' };
}

/** Why a worker is not a live member, or null when it is. */
export function membershipProblem(members: MemberSource, workerId: string): string | null {
  const m = liveMember(members, workerId);
  return 'problem' in m ? m.problem : null;
}

/**
 * The other replicas a replica has heard from (a delta, a hello, an anti-entropy request), with when:
 * anti-entropy picks one of those heard from within `ttlMs` at random. Nobody keeps a list of replicas.
 */
export class PeerSet {
  private readonly lastSeen = new Map<string, number>();

  constructor(private readonly ttlMs: number) {}

  seen(id: string, nowMs: number): void {
    this.lastSeen.set(id, nowMs);
  }

  /** Forgets a peer that did not answer (it is heard of again when it speaks). */
  forget(id: string): void {
    this.lastSeen.delete(id);
  }

  /** A random peer heard from within the ttl (the others are forgotten), or undefined when none. */
  pick(nowMs: number, random: () => number): string | undefined {
    const live: string[] = [];
    for (const [id, at] of this.lastSeen) {
      if (nowMs - at > this.ttlMs) this.lastSeen.delete(id);
      else live.push(id);
    }
    return live.length === 0 ? undefined : live[Math.min(live.length - 1, Math.floor(random() * live.length))];
  }

  get size(): number {
    return this.lastSeen.size;
  }
}

/**
 * A per-account async mutex for this process: the senders of one key take turns to pick a nonce, sign
 * and broadcast, so that two of them never sign with the same nonce. (Senders in other processes are
 * not covered; sendTransaction recovers from those by re-signing.)
 */
const tails = new Map<string, Promise<void>>();

/** Runs `fn` once every earlier holder of `address`'s lock is done; the lock is released however `fn` ends. */
export async function withAccountLock<T>(address: string, fn: () => Promise<T>): Promise<T> {
  const key = address.toLowerCase();
  const before = tails.get(key) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((r) => {
    release = r;
  });
  const tail = before.then(() => mine);
  tails.set(key, tail);
  await before;
  try {
    return await fn();
  } finally {
    release();
    if (tails.get(key) === tail) tails.delete(key);
  }
}

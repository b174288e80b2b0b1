/**
 * The browser worker's identity: an Ed25519 seed kept in this origin's IndexedDB, so a device keeps its
 * worker id (and its admission) across visits; signing with @noble/curves. The operator name the owner
 * chose is kept beside it.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { DrexError } from '../../../protocol/errors.ts';
import type { Identity } from '../../../swarm/identity/ed25519.ts';

/** IndexedDB is unavailable or refused the key (private browsing, storage disabled, a corrupt record). */
export class BrowserIdentityError extends DrexError {
  override name = 'BrowserIdentityError';
  readonly code = 'BROWSER_IDENTITY_UNAVAILABLE';
}

const DB = 'drex-swarm-worker';
const STORE = 'identity';
const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const unhex = (h: string) => Uint8Array.from(h.match(/../g) ?? [], (x) => parseInt(x, 16));

/** An identity over a 32-byte seed (hex). */
export function browserIdentity(seedHex: string): Identity {
  const seed = unhex(seedHex);
  return { id: hex(ed25519.getPublicKey(seed)), sign: (message) => hex(ed25519.sign(message, seed)) };
}

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error ?? new Error('IndexedDB request failed'));
  });
}

async function open(): Promise<IDBDatabase> {
  const r = indexedDB.open(DB, 1);
  r.onupgradeneeded = () => r.result.createObjectStore(STORE);
  return request(r);
}

/** What the page keeps. */
export interface StoredWorker {
  identity: Identity;
  seedHex: string;
  /** The operator name kept with the key (absent until one is set). */
  operator?: string;
  /** True when the key was generated on this visit. */
  created: boolean;
}

/** The worker kept in this browser, generated and stored on the first visit. */
export async function loadOrCreateBrowserWorker(): Promise<StoredWorker> {
  let db: IDBDatabase;
  try {
    db = await open();
  } catch (err) {
    throw new BrowserIdentityError(`this browser keeps no IndexedDB for the page (${(err as Error).message}): the worker cannot keep its key`, { cause: err });
  }
  try {
    const tx = db.transaction(STORE, 'readwrite');
    const store = tx.objectStore(STORE);
    const kept = (await request(store.get('worker'))) as { seed?: unknown; operator?: unknown } | undefined;
    if (kept && typeof kept.seed === 'string' && /^[0-9a-f]{64}$/.test(kept.seed)) {
      const operator = typeof kept.operator === 'string' ? kept.operator : undefined;
      return { identity: browserIdentity(kept.seed), seedHex: kept.seed, ...(operator ? { operator } : {}), created: false };
    }
    const seedHex = hex(ed25519.utils.randomSecretKey());
    await request(store.put({ seed: seedHex, createdAt: new Date().toISOString() }, 'worker'));
    return { identity: browserIdentity(seedHex), seedHex, created: true };
  } catch (err) {
    throw new BrowserIdentityError(`the worker key could not be read or stored in IndexedDB: ${(err as Error).message}`, { cause: err });
  } finally {
    db.close();
  }
}

/** Keeps `operator` with the key. */
export async function saveOperator(operator: string): Promise<void> {
  const db = await open();
  try {
    const store = db.transaction(STORE, 'readwrite').objectStore(STORE);
    const kept = (await request(store.get('worker'))) as Record<string, unknown> | undefined;
    if (kept) await request(store.put({ ...kept, operator }, 'worker'));
  } finally {
    db.close();
  }
}

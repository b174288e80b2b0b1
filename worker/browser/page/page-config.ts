/** What the worker page is told by the server (`/worker/config.json`) and by its own URL. */
import { z } from 'zod';

/** The server's part: which deployment and where NATS's WebSocket listens. */
export const workerPageConfig = z.object({
  deployment: z.string().min(1).max(64),
  natsWsUrl: z.string().regex(/^wss?:\/\//, 'a ws:// or wss:// URL'),
});
export type WorkerPageConfig = z.infer<typeof workerPageConfig>;

const OPERATOR = /^[a-z0-9._-]{1,64}$/;

/** The owner's part, from the page URL: `?operator=NAME&threads=N&backend=auto|wasm|webgpu`. */
export interface OwnerChoices {
  operator?: string;
  threads: number;
  backend: 'auto' | 'wasm' | 'webgpu';
}

/** The owner's choices, or the reason one is not valid. */
export function ownerChoices(search: string, cores: number): OwnerChoices | { error: string } {
  const p = new URLSearchParams(search);
  const operator = p.get('operator') ?? undefined;
  if (operator !== undefined && !OPERATOR.test(operator)) return { error: 'operator: 1-64 of a-z, 0-9, ".", "_" and "-"' };
  const t = p.get('threads');
  const threads = t === null ? Math.max(1, Math.min(4, Math.floor(cores / 2))) : Number(t);
  if (!Number.isInteger(threads) || threads < 1 || threads > 64) return { error: 'threads: a whole number from 1 to 64' };
  const backend = p.get('backend') ?? 'auto';
  if (backend !== 'auto' && backend !== 'wasm' && backend !== 'webgpu') return { error: 'backend: auto, wasm or webgpu' };
  return { ...(operator ? { operator } : {}), threads, backend };
}

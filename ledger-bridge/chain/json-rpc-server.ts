import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DrexError } from '../../protocol/errors.ts';

/** The EIP-1193 surface the server forwards to. */
export interface RequestProvider {
  request(args: { method: string; params?: unknown }): Promise<unknown>;
}

/** Raised when the JSON-RPC front cannot bind (port taken, non-loopback host asked for). */
export class JsonRpcServerError extends DrexError {
  override name = 'JsonRpcServerError';
  constructor(
    message: string,
    readonly code: 'RPC_BIND_FAILED' | 'RPC_HOST_NOT_LOOPBACK' = 'RPC_BIND_FAILED',
  ) {
    super(message);
  }
}

/** Largest request body accepted (a batch of 64 proofs is ~80 KB of hex). */
const MAX_BODY = 16 * 1024 * 1024;
const LOOPBACK = '127.0.0.1';
/** JSON-RPC error code for a reverted call (geth/anvil/Besu convention; viem decodes `data`). */
const REVERT_CODE = 3;

interface JsonRpcRequest {
  jsonrpc?: string;
  id?: string | number | null;
  method?: unknown;
  params?: unknown;
}

type JsonRpcResponse =
  | { jsonrpc: '2.0'; id: string | number | null; result: unknown }
  | { jsonrpc: '2.0'; id: string | number | null; error: { code: number; message: string; data?: unknown } };

function errorResponse(id: JsonRpcRequest['id'], err: unknown): JsonRpcResponse {
  const e = (err ?? {}) as { code?: unknown; message?: unknown; data?: unknown };
  const code = typeof e.code === 'number' ? e.code : -32603;
  const message = typeof e.message === 'string' ? e.message : 'Internal error';
  // Reverts carry the raw revert bytes as `data` (a 0x string), the way Besu and geth answer.
  let data: unknown;
  if (typeof e.data === 'string') data = e.data;
  else if (e.data && typeof e.data === 'object' && typeof (e.data as { data?: unknown }).data === 'string') {
    data = (e.data as { data: string }).data;
  }
  return { jsonrpc: '2.0', id: id ?? null, error: code === REVERT_CODE ? { code, message, data } : { code, message, ...(data ? { data } : {}) } };
}

async function handleOne(provider: RequestProvider, req: unknown): Promise<JsonRpcResponse> {
  const r = (req ?? {}) as JsonRpcRequest;
  if (typeof req !== 'object' || req === null || typeof r.method !== 'string') {
    return { jsonrpc: '2.0', id: r.id ?? null, error: { code: -32600, message: 'Invalid request' } };
  }
  try {
    const result = await provider.request({ method: r.method, params: r.params ?? [] });
    return { jsonrpc: '2.0', id: r.id ?? null, result: result ?? null };
  } catch (err) {
    return errorResponse(r.id, err);
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** A running JSON-RPC HTTP front. */
export interface JsonRpcServer {
  port: number;
  url: string;
  /** Stops accepting connections and drops open ones. */
  close(): Promise<void>;
}

/**
 * Serves `provider` as a standard Ethereum JSON-RPC HTTP endpoint (POST, single or batch requests) on
 * 127.0.0.1 only. `port` 0 picks a free port.
 */
export async function serveJsonRpc(provider: RequestProvider, opts: { port?: number; host?: string } = {}): Promise<JsonRpcServer> {
  const host = opts.host ?? LOOPBACK;
  if (host !== LOOPBACK) throw new JsonRpcServerError(`the embedded chain listens on ${LOOPBACK} only, not ${host}`, 'RPC_HOST_NOT_LOOPBACK');
  const server: Server = createServer((req, res) => {
    if (req.method !== 'POST') {
      send(res, 405, { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'POST a JSON-RPC request' } });
      return;
    }
    void (async () => {
      let body: unknown;
      try {
        body = JSON.parse(await readBody(req));
      } catch (err) {
        send(res, 200, { jsonrpc: '2.0', id: null, error: { code: -32700, message: `Parse error: ${(err as Error).message}` } });
        return;
      }
      const out = Array.isArray(body) ? await Promise.all(body.map((r) => handleOne(provider, r))) : await handleOne(provider, body);
      send(res, 200, out);
    })().catch(() => {
      if (!res.headersSent) send(res, 500, { jsonrpc: '2.0', id: null, error: { code: -32603, message: 'Internal error' } });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(new JsonRpcServerError(`cannot listen on ${host}:${opts.port ?? 0}: ${err.message}`));
    server.once('error', onError);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

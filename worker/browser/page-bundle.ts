/**
 * Builds the worker page's scripts with esbuild: `app.js` (the page) and `msm-thread.js` (its MSM Web
 * Worker), ES modules for current browsers, minified. Built once per process on first use.
 */
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { build } from 'esbuild';
import { DrexError } from '../../protocol/errors.ts';

/** The page's scripts could not be built (a missing dependency, a module that does not run in a browser). */
export class PageBuildError extends DrexError {
  override name = 'PageBuildError';
  readonly code = 'WORKER_PAGE_BUILD_FAILED';
}

/** A built script and its content hash (its ETag). */
export interface PageScript {
  js: Uint8Array;
  etag: string;
}

export type PageScripts = Record<'app' | 'msm-thread', PageScript>;

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

async function bundle(): Promise<PageScripts> {
  let out;
  try {
    out = await build({
      entryPoints: { app: here('./page/app.ts'), 'msm-thread': here('./page/msm-thread.ts') },
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'chrome120',
      minify: true,
      write: false,
      outdir: '/worker-page',
      inject: [here('./page/buffer-global.ts')],
      define: { 'process.env.NODE_ENV': '"production"', global: 'globalThis' },
      // Node-only code the browser never runs: Dawn's device module (the page passes the browser's
      // GPU device) and @nats-io/obj's optional node:crypto import.
      external: ['node:*', './node-device.ts'],
      logLevel: 'silent',
      metafile: true,
    });
  } catch (err) {
    throw new PageBuildError(`the worker page could not be built: ${(err as Error).message}`, { cause: err });
  }
  // A static import of a Node module would be fetched by the browser and fail: refuse the build instead.
  const nodeOnly = Object.entries(out.metafile.inputs).flatMap(([file, m]) => m.imports.filter((i) => i.path.startsWith('node:') && i.kind !== 'dynamic-import').map((i) => `${file} imports ${i.path}`));
  if (nodeOnly.length) throw new PageBuildError(`the worker page reaches Node-only modules: ${nodeOnly.join('; ')}`);
  const scripts: Partial<PageScripts> = {};
  for (const f of out.outputFiles) {
    const name = f.path.slice(f.path.lastIndexOf('/') + 1).replace(/\.js$/, '') as keyof PageScripts;
    scripts[name] = { js: f.contents, etag: `"${createHash('sha256').update(f.contents).digest('hex').slice(0, 32)}"` };
  }
  if (!scripts.app || !scripts['msm-thread']) throw new PageBuildError('the worker page build produced no app.js or msm-thread.js');
  return scripts as PageScripts;
}

let built: Promise<PageScripts> | undefined;

/** The page's scripts (one build per process; a failed build is retried on the next call). */
export function pageScripts(): Promise<PageScripts> {
  built ??= bundle().catch((err: unknown) => {
    built = undefined;
    throw err;
  });
  return built;
}

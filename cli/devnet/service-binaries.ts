import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { DrexError } from '../../protocol/errors.ts';
import { SWIFTSHADER_ICD } from '../../prover/gpu/node-device.ts';

/** Debian package and binary of each local service. */
const SERVICES = [
  { bin: 'nats-server', pkg: 'nats-server', paths: ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server'] },
  { bin: 'redis-server', pkg: 'redis-server', paths: ['/usr/bin/redis-server', '/usr/sbin/redis-server', '/usr/local/bin/redis-server'] },
] as const;

/** Raised when a service binary is missing and cannot be installed here. */
export class MissingServiceError extends DrexError {
  override name = 'MissingServiceError';
  readonly code = 'SERVICE_MISSING';
}

/** Path of a service binary, or undefined. */
export function findBinary(bin: string): string | undefined {
  const s = SERVICES.find((x) => x.bin === bin);
  for (const p of s?.paths ?? []) if (existsSync(p)) return p;
  const r = spawnSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** Installs Debian packages when `install` is set and this process may (root with apt-get); else throws. */
function installPackages(pkgs: string[], o: { install: boolean; log: (m: string) => void }): void {
  const canInstall = o.install && process.getuid?.() === 0 && existsSync('/usr/bin/apt-get');
  if (!canInstall) throw new MissingServiceError(`missing ${pkgs.join(', ')}: install the Debian packages (apt-get install ${pkgs.join(' ')})`);
  o.log(`installing ${pkgs.join(', ')} from Debian packages`);
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...pkgs], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}

/**
 * Makes sure nats-server and redis-server exist, installing the Debian packages when `install` is set
 * and this process may (root with apt-get).
 */
export async function ensureServiceBinaries(o: { install: boolean; log: (m: string) => void }): Promise<{ nats: string; redis: string }> {
  const missing = SERVICES.filter((s) => !findBinary(s.bin));
  if (missing.length) installPackages(missing.map((m) => m.pkg), o);
  return { nats: findBinary('nats-server')!, redis: findBinary('redis-server')! };
}

/** The Vulkan loader's paths (Debian's libvulkan1); with Chromium's SwiftShader ICD, what WebGPU needs without a GPU. */
const VULKAN_LOADERS = ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib/aarch64-linux-gnu/libvulkan.so.1'];

/**
 * Makes sure WebGPU can run on the CPU here: Debian's chromium (it ships SwiftShader's Vulkan ICD, and is
 * the browser the browser tests drive) and libvulkan1 (the loader Dawn opens), installed when missing.
 */
export async function ensureSoftwareVulkan(o: { install: boolean; log: (m: string) => void }): Promise<{ icd: string }> {
  const pkgs = [
    ...(existsSync(SWIFTSHADER_ICD) ? [] : ['chromium']),
    ...(VULKAN_LOADERS.some((p) => existsSync(p)) ? [] : ['libvulkan1']),
  ];
  if (pkgs.length) installPackages(pkgs, o);
  return { icd: SWIFTSHADER_ICD };
}

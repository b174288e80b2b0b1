import { createHash, KeyObject, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DrexError } from '../../protocol/errors.ts';
import { cborEncoder, signCoseEs384 } from '../../swarm/attestation/cose-sign1.ts';
import { x509 } from '../../swarm/attestation/x509.ts';

/** Raised when a dev enclave's root files or options are missing or malformed. */
export class DevEnclaveError extends DrexError {
  override name = 'DevEnclaveError';
  readonly code = 'DEV_ENCLAVE_INVALID';
}

const ALG = { name: 'ECDSA', namedCurve: 'P-384' } as const;
const SIGNING = { name: 'ECDSA', hash: 'SHA-384' } as const;
const HOUR = 3_600_000;
const PCR_BYTES = 48;
/** The subject of every dev root: it says, to whoever reads a chain, that no TEE stands behind it. */
export const DEV_ROOT_SUBJECT = 'CN=drex-swarm dev enclave root (NOT A TEE), O=drex-swarm dev';
/** File names of a saved dev root: the certificate (to trust) and its private key (for the dev enclave only). */
export const DEV_ROOT_CERT_FILE = 'dev-root.pem';
export const DEV_ROOT_KEY_FILE = 'dev-root.key.pem';

/** The PCRs a dev enclave reports by default: 16 of 48 bytes, PCR0-2 derived from a label (so not debug mode), the rest zero. */
export function defaultDevPcrs(): Map<number, Buffer> {
  const pcrs = new Map<number, Buffer>();
  for (let i = 0; i < 16; i++) pcrs.set(i, i <= 2 ? createHash('sha384').update(`drex-swarm dev enclave PCR${i}`).digest() : Buffer.alloc(PCR_BYTES));
  return pcrs;
}

const serial = () => `01${randomBytes(15).toString('hex')}`;
const seconds = (ms: number) => new Date(Math.floor(ms / 1000) * 1000);
const caExtensions = () => [new x509.BasicConstraintsExtension(true, undefined, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true)];

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n');
  return `-----BEGIN ${label}-----\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END ${label}-----\n`;
}

/** What a dev document carries besides its PCRs: the worker's key, its own data, the verifier's nonce, and its time. */
export interface DevAttestRequest {
  publicKey?: Uint8Array;
  userData?: Uint8Array;
  nonce?: Uint8Array;
  now?: Date;
}

/** How a dev enclave is made: the PCRs it reports, its clock at creation, and (to rehearse a lapse) when its intermediate certificate ends. */
export interface DevEnclaveOptions {
  pcrs?: Map<number, Uint8Array>;
  now?: Date;
  /** The intermediate's end of validity (default 30 days after `now`): past it, every document's chain has expired. */
  validUntil?: Date;
}

/**
 * A dev enclave for machines without a TEE: issues attestation documents in the exact Nitro format (untagged
 * COSE_Sign1, ES384, the NSM payload) under its own P-384 root -> intermediate -> per-document leaf. Its documents
 * prove nothing about hardware; a verifier accepts them only when a deployment lists the dev root explicitly.
 */
export class DevEnclave {
  private constructor(
    private readonly root: { cert: x509.X509Certificate; key: CryptoKey },
    private readonly intermediate: { cert: x509.X509Certificate; keys: CryptoKeyPair },
    readonly moduleId: string,
    readonly pcrs: Map<number, Buffer>,
  ) {}

  /** A dev enclave with a new root. */
  static async create(o: DevEnclaveOptions = {}): Promise<DevEnclave> {
    const now = (o.now ?? new Date()).getTime();
    const keys = await crypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
    const cert = await x509.X509CertificateGenerator.createSelfSigned({ serialNumber: serial(), name: DEV_ROOT_SUBJECT, notBefore: seconds(now - HOUR), notAfter: seconds(now + 10 * 365 * 24 * HOUR), signingAlgorithm: SIGNING, keys, extensions: caExtensions() });
    return DevEnclave.under({ cert, key: keys.privateKey }, o, now);
  }

  /** A dev enclave under a saved root (its certificate and PKCS#8 private key, PEM). */
  static async fromRoot(certPem: string, keyPem: string, o: DevEnclaveOptions = {}): Promise<DevEnclave> {
    let cert: x509.X509Certificate;
    let key: CryptoKey;
    try {
      cert = new x509.X509Certificate(certPem);
      const der = Buffer.from(keyPem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64');
      key = await crypto.subtle.importKey('pkcs8', der, ALG, true, ['sign']);
    } catch (err) {
      throw new DevEnclaveError('the dev root is not a certificate and P-384 PKCS#8 private key in PEM', { cause: err });
    }
    return DevEnclave.under({ cert, key }, o, (o.now ?? new Date()).getTime());
  }

  /** Loads the root saved in `dir` by `saveRoot`. */
  static async load(dir: string, o: DevEnclaveOptions = {}): Promise<DevEnclave> {
    const read = (f: string) => readFile(join(dir, f), 'utf8').catch((err: unknown) => {
      throw new DevEnclaveError(`cannot read the dev root file ${join(dir, f)}`, { cause: err });
    });
    return DevEnclave.fromRoot(await read(DEV_ROOT_CERT_FILE), await read(DEV_ROOT_KEY_FILE), o);
  }

  private static async under(root: { cert: x509.X509Certificate; key: CryptoKey }, o: DevEnclaveOptions, now: number): Promise<DevEnclave> {
    const pcrs = o.pcrs;
    const keys = await crypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: 'CN=drex-swarm dev enclave intermediate (NOT A TEE), O=drex-swarm dev',
      issuer: root.cert.subject,
      notBefore: seconds(now - HOUR),
      notAfter: seconds(o.validUntil?.getTime() ?? now + 30 * 24 * HOUR),
      signingAlgorithm: SIGNING,
      publicKey: keys.publicKey,
      signingKey: root.key,
      extensions: caExtensions(),
    });
    const chosen = new Map([...(pcrs ?? defaultDevPcrs())].map(([i, v]) => [i, Buffer.from(v)]));
    for (const [i, v] of chosen) if (!Number.isInteger(i) || i < 0 || i > 31 || v.length !== PCR_BYTES) throw new DevEnclaveError(`PCR${i} must have an index 0..31 and ${PCR_BYTES} bytes`);
    return new DevEnclave(root, { cert, keys }, `drex-dev-enclave-${randomBytes(8).toString('hex')}`, chosen);
  }

  /** The root certificate (PEM): what a deployment lists to trust this enclave's documents. */
  rootPem(): string {
    return this.root.cert.toString('pem');
  }

  /** Writes the root certificate and its private key (mode 0600) into `dir`; returns the certificate's path. */
  async saveRoot(dir: string): Promise<string> {
    await mkdir(dir, { recursive: true });
    const certPath = join(dir, DEV_ROOT_CERT_FILE);
    await writeFile(certPath, `${this.rootPem()}\n`);
    await writeFile(join(dir, DEV_ROOT_KEY_FILE), pem('PRIVATE KEY', await crypto.subtle.exportKey('pkcs8', this.root.key)), { mode: 0o600 });
    return certPath;
  }

  /** One attestation document (raw COSE_Sign1 bytes) binding `publicKey`, `userData` and `nonce`, signed by a fresh 3-hour leaf. */
  async attest(r: DevAttestRequest = {}): Promise<Uint8Array> {
    const now = (r.now ?? new Date()).getTime();
    const leafKeys = await crypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
    const leaf = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: `CN=${this.moduleId}, O=drex-swarm dev`,
      issuer: this.intermediate.cert.subject,
      notBefore: seconds(now - 1000),
      notAfter: seconds(now + 3 * HOUR),
      signingAlgorithm: SIGNING,
      publicKey: leafKeys.publicKey,
      signingKey: this.intermediate.keys.privateKey,
      extensions: [new x509.BasicConstraintsExtension(false, undefined, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true)],
    });
    const opt = (b: Uint8Array | undefined) => (b === undefined ? null : Buffer.from(b));
    const payload = cborEncoder.encode(
      new Map<string, unknown>([
        ['module_id', this.moduleId],
        ['digest', 'SHA384'],
        ['timestamp', now],
        ['pcrs', this.pcrs],
        ['certificate', Buffer.from(leaf.rawData)],
        ['cabundle', [Buffer.from(this.root.cert.rawData), Buffer.from(this.intermediate.cert.rawData)]],
        ['public_key', opt(r.publicKey)],
        ['user_data', opt(r.userData)],
        ['nonce', opt(r.nonce)],
      ]),
    );
    return signCoseEs384(payload, KeyObject.from(leafKeys.privateKey));
  }
}

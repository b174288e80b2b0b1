import { createPublicKey, type KeyObject } from 'node:crypto';
import type { ChainLink, CheckResult } from './attestation-report.ts';
import type { TrustedRoot } from './trusted-roots.ts';
import { fingerprint, isCa, x509 } from './x509.ts';

/** The outcome of checking a document's certificates: three checks, the chain as found, and the leaf's key. */
export interface ChainOutcome {
  readonly chain: CheckResult;
  readonly root: CheckResult;
  readonly validity: CheckResult;
  readonly links: ChainLink[];
  readonly anchor: TrustedRoot | null;
  /** The leaf's P-384 public key, when the leaf parses and has one. */
  readonly leafKey: KeyObject | null;
}

const iso = (d: Date) => d.toISOString();
const cn = (c: x509.X509Certificate) => c.subject;

function parse(der: Uint8Array, what: string): x509.X509Certificate | string {
  try {
    return new x509.X509Certificate(new Uint8Array(der));
  } catch {
    return `${what} is not a DER X.509 certificate`;
  }
}

/** The leaf's public key as a KeyObject when it is an EC P-384 key; a reason otherwise. */
function p384Key(leaf: x509.X509Certificate): KeyObject | string {
  try {
    const key = createPublicKey({ key: Buffer.from(leaf.publicKey.rawData), format: 'der', type: 'spki' });
    const curve = key.asymmetricKeyDetails?.namedCurve;
    return key.asymmetricKeyType === 'ec' && (curve === 'secp384r1' || curve === 'P-384') ? key : `the leaf's key is ${key.asymmetricKeyType} ${curve ?? ''}, not EC P-384`.trim();
  } catch {
    return "the leaf's public key cannot be read";
  }
}

/**
 * Checks the certificates of a document: the chain from a trusted root through `cabundle[1..]` to the leaf
 * (each issuer/subject link, each signature, CA flags), that it starts at one of `roots` (ROOT_PINNED; `cabundle[0]`
 * is the document's claim of its root and is never trusted itself), and that every certificate is valid at `at`
 * and the leaf at the document's own time.
 */
export async function checkCertificateChain(o: { certificate: Uint8Array; cabundle: Uint8Array[]; roots: TrustedRoot[]; at: Date; documentTime: Date }): Promise<ChainOutcome> {
  const fail = (detail: string): ChainOutcome => ({
    chain: { check: 'CERTIFICATE_CHAIN', ok: false, detail },
    root: { check: 'ROOT_PINNED', ok: false, detail: `not checked: ${detail}` },
    validity: { check: 'CERTIFICATE_VALIDITY', ok: false, detail: `not checked: ${detail}` },
    links: [],
    anchor: null,
    leafKey: null,
  });
  const leaf = parse(o.certificate, 'the leaf certificate');
  if (typeof leaf === 'string') return fail(leaf);
  const bundle: x509.X509Certificate[] = [];
  for (const [i, der] of o.cabundle.entries()) {
    const c = parse(der, `cabundle[${i}]`);
    if (typeof c === 'string') return fail(c);
    bundle.push(c);
  }
  const key = p384Key(leaf);
  const intermediates = bundle.slice(1);
  const first = intermediates[0] ?? leaf;

  // The anchor: a trusted root that names itself as the first certificate's issuer and whose key signed it.
  let anchor: TrustedRoot | null = null;
  for (const r of o.roots) {
    if (r.certificate.subject === first.issuer && (await first.verify({ publicKey: r.certificate, signatureOnly: true }).catch(() => false))) {
      anchor = r;
      break;
    }
  }
  const claimed = bundle[0]!;
  const rootCheck: CheckResult = anchor
    ? { check: 'ROOT_PINNED', ok: true, detail: `the chain starts at the trusted root "${anchor.name}" (sha256 ${anchor.sha256})` }
    : {
        check: 'ROOT_PINNED',
        ok: false,
        detail: `no trusted root issued ${cn(first)}: cabundle[0] is ${cn(claimed)} (sha256 ${fingerprint(claimed)}), trusted: ${o.roots.map((r) => `"${r.name}" (sha256 ${r.sha256})`).join(', ') || 'none'}`,
      };

  // Without a trusted anchor, the chain is still checked from the document's own cabundle[0], so a report says whether the bundle hangs together.
  const top = anchor?.certificate ?? claimed;
  const path = [top, ...intermediates, leaf];
  const role = (i: number): ChainLink['role'] => (i === 0 ? 'root' : i === path.length - 1 ? 'leaf' : 'intermediate');
  const links: ChainLink[] = path.map((c, i) => ({ role: role(i), subject: c.subject, issuer: c.issuer, notBefore: iso(c.notBefore), notAfter: iso(c.notAfter), sha256: fingerprint(c) }));
  const name = (i: number) => (i === 0 ? `the root ${cn(path[0]!)}` : i === path.length - 1 ? `the leaf ${cn(path[i]!)}` : `intermediate cabundle[${i}] ${cn(path[i]!)}`);

  let chainProblem: string | null = typeof key === 'string' ? key : null;
  for (let i = 1; i < path.length && !chainProblem; i++) {
    const parent = path[i - 1]!;
    const child = path[i]!;
    if (child.issuer !== parent.subject) chainProblem = `${name(i)} names issuer ${child.issuer}, not ${parent.subject}`;
    else if (!isCa(parent)) chainProblem = `${name(i - 1)} is not a CA certificate but issued ${name(i)}`;
    else if (!(await child.verify({ publicKey: parent, signatureOnly: true }).catch(() => false))) chainProblem = `the signature on ${name(i)} by ${cn(parent)} does not verify`;
  }
  if (!chainProblem && isCa(leaf)) chainProblem = `the leaf ${cn(leaf)} is a CA certificate, not an enclave's`;
  const chainCheck: CheckResult = chainProblem
    ? { check: 'CERTIFICATE_CHAIN', ok: false, detail: chainProblem }
    : { check: 'CERTIFICATE_CHAIN', ok: true, detail: `${path.length} certificates, each signed by the one before it, every issuer a CA` };

  // Every certificate out of its validity is named, leaf first (the usual culprit: Nitro leaves last 3 hours).
  const problems: string[] = [];
  for (let i = path.length - 1; i >= 0; i--) {
    const c = path[i]!;
    if (o.at < c.notBefore) problems.push(`${name(i)} is not valid until ${iso(c.notBefore)}, after the check time ${iso(o.at)}`);
    else if (o.at > c.notAfter) problems.push(`${name(i)} expired at ${iso(c.notAfter)}, before the check time ${iso(o.at)}`);
  }
  if (o.documentTime < leaf.notBefore || o.documentTime > leaf.notAfter)
    problems.push(`the document's timestamp ${iso(o.documentTime)} is outside its leaf's validity (${iso(leaf.notBefore)} to ${iso(leaf.notAfter)})`);
  const validityProblem = problems.length ? problems.join('; ') : null;
  const validity: CheckResult = validityProblem
    ? { check: 'CERTIFICATE_VALIDITY', ok: false, detail: validityProblem }
    : { check: 'CERTIFICATE_VALIDITY', ok: true, detail: `every certificate is valid at ${iso(o.at)}; the leaf is valid ${iso(leaf.notBefore)} to ${iso(leaf.notAfter)}` };

  return { chain: chainCheck, root: rootCheck, validity, links, anchor, leafKey: typeof key === 'string' ? null : key };
}

import { timingSafeEqual } from 'node:crypto';
import { AttestationFormatError } from './attestation-errors.ts';
import { decodeAttestationDocument, type AttestationDocument } from './attestation-document.ts';
import type { AttestationPolicy } from './attestation-policy.ts';
import { CHECKS, type AttestationClaims, type AttestationReport, type CheckName, type CheckResult } from './attestation-report.ts';
import { checkCertificateChain } from './certificate-chain.ts';
import { verifyCoseEs384 } from './cose-sign1.ts';

const hex = (b: Uint8Array | null) => (b ? Buffer.from(b).toString('hex') : null);
const isZero = (b: Uint8Array | undefined) => b !== undefined && b.every((x) => x === 0);
const sameHex = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/** True when PCR0, PCR1 and PCR2 are all present and all zero: what a Nitro enclave in debug mode reports. */
export function isDebugMode(pcrs: Map<number, Uint8Array>): boolean {
  return [0, 1, 2].every((i) => isZero(pcrs.get(i)));
}

function measurementCheck(pcrs: Record<string, string>, allowed: Record<string, string>[]): CheckResult {
  if (allowed.length === 0) return { check: 'PCR_POLICY', ok: true, detail: 'the policy names no allowed measurements: any measurement is accepted' };
  const match = allowed.findIndex((set) => Object.entries(set).every(([i, v]) => pcrs[i] !== undefined && sameHex(pcrs[i], v)));
  if (match >= 0) return { check: 'PCR_POLICY', ok: true, detail: `PCRs ${Object.keys(allowed[match]!).join(', ')} match allowed measurement #${match + 1}` };
  // Name the PCRs that differ from the closest allowed set, so an operator sees which part of the image changed.
  const misses = allowed.map((set) => Object.entries(set).filter(([i, v]) => pcrs[i] !== v).map(([i]) => `PCR${i}`));
  const closest = misses.reduce((a, b) => (b.length < a.length ? b : a));
  return { check: 'PCR_POLICY', ok: false, detail: `the measurement is not in the policy: ${closest.join(', ')} differ from the closest of ${allowed.length} allowed measurement(s)` };
}

/** The document's statements in report form (hex bytes, ISO time). */
function claimsOf(doc: AttestationDocument, chain: AttestationClaims['chain'], root: AttestationClaims['root']): AttestationClaims {
  const p = doc.payload;
  return {
    moduleId: p.module_id,
    digest: p.digest,
    timestamp: new Date(p.timestamp).toISOString(),
    timestampMs: p.timestamp,
    pcrs: Object.fromEntries([...p.pcrs].sort(([a], [b]) => a - b).map(([i, v]) => [String(i), hex(v)!])),
    debugMode: isDebugMode(p.pcrs),
    publicKey: hex(p.public_key),
    userData: hex(p.user_data),
    nonce: hex(p.nonce),
    chain,
    root,
  };
}

function finish(at: Date, ageMs: number | null, checks: CheckResult[], claims: AttestationClaims | null): AttestationReport {
  const failed = checks.filter((c) => !c.ok).map((c) => c.check);
  return { ok: failed.length === 0, at: at.toISOString(), ageMs, checks, failed, claims };
}

/**
 * Verifies an AWS Nitro Enclaves attestation document (or a dev enclave's, in the same format) against `policy` as of
 * `at`: runs every check of CHECKS and reports each, with what the document states. Never throws for a bad document:
 * bytes that are not a document give a report whose CBOR check fails (and every other check "not run").
 */
export async function verifyAttestation(raw: Uint8Array, policy: AttestationPolicy, at: Date = new Date()): Promise<AttestationReport> {
  let doc: AttestationDocument;
  try {
    doc = decodeAttestationDocument(raw);
  } catch (err) {
    if (!(err instanceof AttestationFormatError)) throw err;
    const notRun = (check: CheckName): CheckResult => ({ check, ok: false, detail: 'not run: the bytes are not an attestation document' });
    return finish(at, null, [{ check: 'CBOR', ok: false, detail: err.message }, ...CHECKS.slice(1).map(notRun)], null);
  }
  return verifyDecodedAttestation(doc, policy, at);
}

/** `verifyAttestation` for a document already decoded (decodeAttestationDocument). */
export async function verifyDecodedAttestation(doc: AttestationDocument, policy: AttestationPolicy, at: Date = new Date()): Promise<AttestationReport> {
  const p = doc.payload;
  const documentTime = new Date(p.timestamp);
  const certs = await checkCertificateChain({ certificate: p.certificate, cabundle: p.cabundle, roots: policy.roots, at, documentTime });
  const claims = claimsOf(doc, certs.links, certs.anchor ? { name: certs.anchor.name, sha256: certs.anchor.sha256 } : null);
  const checks: CheckResult[] = [];
  checks.push({ check: 'CBOR', ok: true, detail: `${doc.cose.tagged ? 'tag-18' : 'untagged'} COSE_Sign1, ES384, payload of ${doc.cose.payload.length} bytes with ${p.pcrs.size} PCRs` });

  let signatureOk = false;
  try {
    signatureOk = certs.leafKey !== null && verifyCoseEs384(doc.cose, certs.leafKey);
  } catch {
    signatureOk = false;
  }
  checks.push(
    signatureOk
      ? { check: 'COSE_SIGNATURE', ok: true, detail: "the ES384 signature over the payload verifies with the leaf certificate's key" }
      : { check: 'COSE_SIGNATURE', ok: false, detail: certs.leafKey ? "the ES384 signature does not verify with the leaf certificate's key: the payload or signature was altered" : `not verifiable: ${certs.chain.detail}` },
  );
  checks.push(certs.chain, certs.root, certs.validity);

  checks.push(
    claims.debugMode
      ? policy.allowDebug
        ? { check: 'DEBUG_MODE', ok: true, detail: 'debug mode (PCR0, PCR1 and PCR2 all zero): accepted because the policy allows debug enclaves, though such a document names no measurement (any image produces it)' }
        : { check: 'DEBUG_MODE', ok: false, detail: 'debug mode (PCR0, PCR1 and PCR2 all zero): the document names no measurement (any image produces it, and its console is open to the host), and the policy refuses debug enclaves' }
      : { check: 'DEBUG_MODE', ok: true, detail: 'not a debug-mode enclave (PCR0-2 are not zero)' },
  );
  checks.push(measurementCheck(claims.pcrs, policy.allowedMeasurements));

  const ageMs = at.getTime() - p.timestamp;
  checks.push(
    ageMs < -policy.futureSkewMs
      ? { check: 'DOCUMENT_AGE', ok: false, detail: `the document is dated ${claims.timestamp}, ${-ageMs} ms after the check time ${at.toISOString()}` }
      : ageMs > policy.maxAgeMs
        ? { check: 'DOCUMENT_AGE', ok: false, detail: `the document is ${ageMs} ms old at ${at.toISOString()}, older than the policy's ${policy.maxAgeMs} ms` }
        : { check: 'DOCUMENT_AGE', ok: true, detail: `${Math.max(0, ageMs)} ms old at ${at.toISOString()} (at most ${policy.maxAgeMs} ms)` },
  );

  checks.push(
    policy.nonce === null
      ? { check: 'NONCE', ok: true, detail: `no nonce was asked for${claims.nonce ? ` (the document carries ${claims.nonce.length / 2} bytes)` : ''}: freshness rests on the document age` }
      : claims.nonce !== null && sameHex(claims.nonce, policy.nonce)
        ? { check: 'NONCE', ok: true, detail: 'the document carries the expected nonce' }
        : { check: 'NONCE', ok: false, detail: claims.nonce === null ? 'the document carries no nonce, but one was expected' : 'the document carries a different nonce from the expected one (a replayed or foreign document)' },
  );

  checks.push(
    policy.publicKey === null
      ? { check: 'PUBLIC_KEY_BINDING', ok: true, detail: claims.publicKey ? `no key was expected; the document binds ${claims.publicKey.length / 2} bytes of public key` : 'no key was expected; the document binds no public key' }
      : claims.publicKey !== null && sameHex(claims.publicKey, policy.publicKey)
        ? { check: 'PUBLIC_KEY_BINDING', ok: true, detail: 'the document binds the expected public key' }
        : { check: 'PUBLIC_KEY_BINDING', ok: false, detail: claims.publicKey === null ? 'the document binds no public key, but one was expected' : 'the document binds a different public key from the expected one' },
  );
  return finish(at, ageMs, checks, claims);
}

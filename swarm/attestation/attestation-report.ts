/** The checks a verification runs, in the order it reports them. */
export const CHECKS = [
  'CBOR',
  'COSE_SIGNATURE',
  'CERTIFICATE_CHAIN',
  'ROOT_PINNED',
  'CERTIFICATE_VALIDITY',
  'DEBUG_MODE',
  'PCR_POLICY',
  'DOCUMENT_AGE',
  'NONCE',
  'PUBLIC_KEY_BINDING',
] as const;
export type CheckName = (typeof CHECKS)[number];

/** One check's outcome: `ok` false means the document fails it; `detail` says what was found, in words. */
export interface CheckResult {
  readonly check: CheckName;
  readonly ok: boolean;
  readonly detail: string;
}

/** One certificate of the verified chain, root first. */
export interface ChainLink {
  readonly role: 'root' | 'intermediate' | 'leaf';
  readonly subject: string;
  readonly issuer: string;
  readonly notBefore: string;
  readonly notAfter: string;
  readonly sha256: string;
}

/** What a document states (meaningful as proof only when `ok` is true). Bytes are lowercase hex. */
export interface AttestationClaims {
  readonly moduleId: string;
  readonly digest: string;
  readonly timestamp: string;
  readonly timestampMs: number;
  /** PCR index -> value, every PCR the document carries. */
  readonly pcrs: Record<string, string>;
  /** True when PCR0, PCR1 and PCR2 are all zero: an enclave started in debug mode. */
  readonly debugMode: boolean;
  readonly publicKey: string | null;
  readonly userData: string | null;
  readonly nonce: string | null;
  /** The chain from the trusted root (or cabundle[0] when no trusted root issued it) to the leaf. */
  readonly chain: ChainLink[];
  /** The trusted root the chain ends in, when one does. */
  readonly root: { name: string; sha256: string } | null;
}

/** The result of verifying one attestation document against a policy as of `at`. */
export interface AttestationReport {
  readonly ok: boolean;
  readonly at: string;
  /** Milliseconds from the document's timestamp to `at` (negative: the document is from the future). */
  readonly ageMs: number | null;
  readonly checks: CheckResult[];
  /** The names of the checks that failed, in order. */
  readonly failed: CheckName[];
  /** Null when the bytes are not a document. */
  readonly claims: AttestationClaims | null;
}

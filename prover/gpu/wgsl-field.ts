/**
 * WGSL for the BN254 base field over the limbs of a `FieldLayout`: `Fp` (an array of limbs, each in
 * a u32), fp_add, fp_sub, fp_double, fp_neg and fp_mul (Montgomery, CIOS without the extra carry
 * words: p's top limb leaves room). The code is generated unrolled over the limbs (fp_mul: over one
 * round), with constant limb indices and p's limbs as literals, so that the limbs live in registers; values stay fully reduced, with branch-free
 * conditional subtractions.
 */
import type { FieldLayout } from './field-layout.ts';

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** Statements subtracting p from the limbs `s0..` into `d0..` with a final `borrow`, then picking s or d. */
function reduceOnce({ limbs: L, p }: FieldLayout, from: string): string {
  const lines = ['  var borrow = 0u;', '  var r: Fp;'];
  for (const j of range(L)) {
    lines.push(`  let d${j} = ${from}${j} - ${p[j]}u - borrow;`, `  borrow = d${j} >> 31u;`);
  }
  for (const j of range(L)) lines.push(`  r[${j}] = select(d${j} & FP_MASK, ${from}${j}, borrow == 1u);`);
  lines.push('  return r;');
  return lines.join('\n');
}

function add(layout: FieldLayout): string {
  const lines = ['  var carry = 0u;'];
  for (const j of range(layout.limbs)) {
    lines.push(`  let w${j} = a[${j}] + b[${j}] + carry;`, `  carry = w${j} >> FP_BITS;`, `  let s${j} = w${j} & FP_MASK;`);
  }
  return `fn fp_add(a: Fp, b: Fp) -> Fp {\n${lines.join('\n')}\n${reduceOnce(layout, 's')}\n}`;
}

function sub({ limbs: L, p }: FieldLayout): string {
  const lines = ['  var borrow = 0u;'];
  for (const j of range(L)) lines.push(`  let d${j} = a[${j}] - b[${j}] - borrow;`, `  borrow = d${j} >> 31u;`);
  lines.push('  let fix = 0u - borrow;', '  var carry = 0u;', '  var r: Fp;');
  for (const j of range(L)) {
    lines.push(`  let w${j} = (d${j} & FP_MASK) + (${p[j]}u & fix) + carry;`, `  carry = w${j} >> FP_BITS;`, `  r[${j}] = w${j} & FP_MASK;`);
  }
  lines.push('  return r;');
  return `fn fp_sub(a: Fp, b: Fp) -> Fp {\n${lines.join('\n')}\n}`;
}

/**
 * CIOS Montgomery multiplication: a loop over the limbs of b, each round unrolled over the limbs of a,
 * interleaving the product and the reduction (one round unrolled keeps the code small enough to compile).
 */
function mul(layout: FieldLayout): string {
  const { limbs: L, p } = layout;
  const lines = [...range(L).map((j) => `  var t${j} = 0u;`), '  var bv = b;'];
  lines.push(
    '  for (var i = 0u; i < FP_LIMBS; i++) {',
    '    let bi = bv[i];',
    '    var s = t0 + a[0] * bi;',
    '    var hi = s >> FP_BITS;',
    '    let u0 = s & FP_MASK;',
    '    let m = (u0 * FP_N0) & FP_MASK;',
    `    var c = (u0 + m * ${p[0]}u) >> FP_BITS;`,
  );
  for (const j of range(L).slice(1)) {
    lines.push(
      `    s = t${j} + a[${j}] * bi + hi;`,
      '    hi = s >> FP_BITS;',
      `    s = (s & FP_MASK) + m * ${p[j]}u + c;`,
      '    c = s >> FP_BITS;',
      `    t${j - 1} = s & FP_MASK;`,
    );
  }
  lines.push(`    t${L - 1} = c + hi;`, '  }');
  return `/** a b R^-1 mod p. */\nfn fp_mul(a: Fp, b: Fp) -> Fp {\n${lines.join('\n')}\n${reduceOnce(layout, 't')}\n}`;
}

const u32s = (xs: readonly number[]): string => xs.map((x) => `${x}u`).join(', ');

/** The WGSL source of the field for `layout`. */
export function wgslField(layout: FieldLayout): string {
  const { limbs: L, limbBits: N, mask, n0 } = layout;
  return /* wgsl */ `
alias Fp = array<u32, ${L}>;
const FP_LIMBS: u32 = ${L}u;
const FP_BITS: u32 = ${N}u;
const FP_MASK: u32 = ${mask}u;
const FP_N0: u32 = ${n0}u;
const FP_ONE = Fp(${u32s(layout.one)});
const FP_FROM_KEY = Fp(${u32s(layout.fromKeyForm)});

${add(layout)}

${sub(layout)}

${mul(layout)}

fn fp_double(a: Fp) -> Fp {
  return fp_add(a, a);
}

fn fp_neg(a: Fp) -> Fp {
  return fp_sub(Fp(), a);
}
`;
}

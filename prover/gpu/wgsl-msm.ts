/**
 * The MSM's WGSL kernels, one module each (every kernel reads `params.count` threads' worth of work):
 *
 * - `convert_bases`: the key's affine points (8 words per coordinate, Montgomery form with R = 2^256)
 *   into the field's limbs and Montgomery form.
 * - `accumulate_chunks`: each chunk's signed sum of bases (mixed additions from the identity).
 * - `sum_ranges`: out[i] = sum of points[offsets[i] .. offsets[i + 1]] (a bucket's chunks; a window's segments).
 * - `reduce_segments`: each window's buckets split into segments of `params.seg_len`; a thread returns
 *   sum over its segment of digit * bucket by a running sum from the top, plus (first digit - 1) times
 *   the segment's sum by double-and-add. Each of its steps is one complete addition (a doubling is P + P).
 */
import type { FieldLayout } from './field-layout.ts';
import { wgslEntry } from './gpu-compute.ts';
import { wgslCurve, wgslPointAccess } from './wgsl-curve.ts';

/** WGSL bindings: a uniform `params` of the named u32 fields at 0, then storage buffers in order. */
function bindings(params: readonly string[], buffers: readonly [name: string, type: string, writable: boolean][]): string {
  const fields = ['count', ...params].map((f) => `${f}: u32`).join(', ');
  return [
    `struct Params { ${fields} }`,
    '@group(0) @binding(0) var<uniform> params: Params;',
    ...buffers.map(([name, type, w], i) => `@group(0) @binding(${i + 1}) var<storage, ${w ? 'read_write' : 'read'}> ${name}: ${type};`),
  ].join('\n');
}

/** Limb k of the 256-bit little-endian value in words[at .. at + 8], as WGSL. */
function limbFromWords({ limbBits: N }: FieldLayout, k: number, at: string): string {
  const bit = k * N;
  const [w, shift] = [Math.floor(bit / 32), bit % 32];
  if (w >= 8) return '0u';
  const low = `(raw[${at} + ${w}u] >> ${shift}u)`;
  const high = shift + N > 32 && w + 1 < 8 ? ` | (raw[${at} + ${w + 1}u] << ${32 - shift}u)` : '';
  return `((${low}${high}) & FP_MASK)`;
}

export function convertBasesKernel(layout: FieldLayout): string {
  const coord = (c: 'x' | 'y', at: string) =>
    Array.from({ length: layout.limbs }, (_, k) => `  ${c}[${k}] = ${limbFromWords(layout, k, at)};`).join('\n');
  return `${wgslCurve(layout)}
${bindings([], [['raw', 'array<u32>', false], ['bases', 'array<u32>', true]])}
${wgslPointAccess('bases', 'affine', true)}
${wgslEntry(
  'convert_bases',
  `  var x: Fp;
  var y: Fp;
${coord('x', '16u * tid')}
${coord('y', '16u * tid + 8u')}
  store_bases(tid, Affine(fp_mul(x, FP_FROM_KEY), fp_mul(y, FP_FROM_KEY)));`,
)}`;
}

export function accumulateChunksKernel(layout: FieldLayout): string {
  return `${wgslCurve(layout)}
${bindings([], [['bases', 'array<u32>', false], ['entries', 'array<u32>', false], ['offsets', 'array<u32>', false], ['partials', 'array<u32>', true]])}
${wgslPointAccess('bases', 'affine', false)}
${wgslPointAccess('partials', 'proj', true)}
${wgslEntry(
  'accumulate_chunks',
  `  var acc = proj_identity();
  for (var e = offsets[tid]; e < offsets[tid + 1u]; e++) {
    let entry = entries[e];
    var q = load_bases(entry & 0x7fffffffu);
    if ((entry >> 31u) == 1u) { q = affine_neg(q); }
    acc = proj_add_affine(acc, q);
  }
  store_partials(tid, acc);`,
)}`;
}

export function sumRangesKernel(layout: FieldLayout): string {
  return `${wgslCurve(layout)}
${bindings([], [['points', 'array<u32>', false], ['offsets', 'array<u32>', false], ['sums', 'array<u32>', true]])}
${wgslPointAccess('points', 'proj', false)}
${wgslPointAccess('sums', 'proj', true)}
${wgslEntry(
  'sum_ranges',
  `  var acc = proj_identity();
  for (var e = offsets[tid]; e < offsets[tid + 1u]; e++) {
    acc = proj_add(acc, load_points(e));
  }
  store_sums(tid, acc);`,
)}`;
}

export function reduceSegmentsKernel(layout: FieldLayout): string {
  return `${wgslCurve(layout)}
${bindings(['seg_len', 'segs_per_window', 'buckets_per_window', 'fix_bits'], [['buckets', 'array<u32>', false], ['segments', 'array<u32>', true]])}
${wgslPointAccess('buckets', 'proj', false)}
${wgslPointAccess('segments', 'proj', true)}
${wgslEntry(
  'reduce_segments',
  `  let window = tid / params.segs_per_window;
  let first = (tid % params.segs_per_window) * params.seg_len + 1u;
  let top = window * params.buckets_per_window + first + params.seg_len - 2u;
  let fix = first - 1u;
  let sum_steps = 2u * params.seg_len;
  let steps = sum_steps + 2u * params.fix_bits + 1u;
  var run = proj_identity();
  var acc = proj_identity();
  var times = proj_identity();
  for (var step = 0u; step < steps; step++) {
    var x: Proj;
    var y: Proj;
    let odd = (step & 1u) == 1u;
    let bit = params.fix_bits - 1u - (step - sum_steps) / 2u;
    if (step < sum_steps) {
      if (odd) { x = acc; y = run; } else { x = run; y = load_buckets(top - step / 2u); }
    } else if (step + 1u < steps) {
      x = times;
      if (odd) { y = run; } else { y = times; }
    } else {
      x = acc;
      y = times;
    }
    let r = proj_add(x, y);
    if (step < sum_steps) {
      if (odd) { acc = r; } else { run = r; }
    } else if (step + 1u < steps) {
      if (!odd || ((fix >> bit) & 1u) == 1u) { times = r; }
    } else {
      acc = r;
    }
  }
  store_segments(tid, acc);`,
)}`;
}

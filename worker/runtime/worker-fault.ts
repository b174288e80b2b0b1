import { bn254 } from '@noble/curves/bn254.js';
import type { MsmPointsJson } from '../../protocol/messages/half.ts';

/**
 * Ways a worker can be told to misbehave, to test the swarm's defences: `wrong-point` answers halves
 * with a wrong point; `stall` holds every half it takes, signalling progress, and never answers (a
 * straggler) until its lease is lost.
 */
export const WORKER_FAULTS = ['wrong-point', 'stall'] as const;
export type WorkerFault = (typeof WORKER_FAULTS)[number];

const hex32 = (v: bigint) => v.toString(16).padStart(64, '0');
const ZERO = hex32(0n);

/**
 * The `wrong-point` fault: A replaced by A + G (G the G1 generator). The result is a point of G1 encoded
 * like any other (the identity as zero coordinates), so it passes every check of form and curve
 * membership; only its value is wrong.
 */
export function wrongPoint(points: MsmPointsJson): MsmPointsJson {
  const G = bn254.G1.Point.BASE;
  const [x, y] = points.A;
  const a = x === ZERO && y === ZERO ? G : bn254.G1.Point.fromAffine({ x: BigInt(`0x${x}`), y: BigInt(`0x${y}`) }).add(G);
  if (a.is0()) return { ...points, A: [ZERO, ZERO] };
  const affine = a.toAffine();
  return { ...points, A: [hex32(affine.x), hex32(affine.y)] };
}

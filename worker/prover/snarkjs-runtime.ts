export { releaseSnarkjs } from '../../circuits/snarkjs-runtime.ts';

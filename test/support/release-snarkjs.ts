import { afterAll } from 'vitest';
import { releaseSnarkjs } from '../../worker/prover/snarkjs-runtime.ts';

// snarkjs keeps curve worker threads alive; end them after each test file.
afterAll(async () => {
  await releaseSnarkjs();
});

// Entry of a prover thread. Loader hooks do not reach worker threads on Node 20 (neither the parent's
// tsx register() nor `execArgv: ['--import', 'tsx']` lets a worker load .ts), so each thread installs
// tsx's ESM loader itself and then loads the TypeScript thread code.
import { register } from 'tsx/esm/api';

register();
await import('./prove-thread.ts');

// Entry of a fixed-base multiplication thread. Loader hooks do not reach worker threads on Node 20, so
// each thread installs tsx's ESM loader itself and then loads the TypeScript thread code.
import { register } from 'tsx/esm/api';

register();
await import('./fixed-base-thread.ts');

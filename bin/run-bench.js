#!/usr/bin/env node
// `npm run bench -- NAME [args]`: runs bench/NAME.ts; each benchmark prints one JSON object as its last line.
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

const benchDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'bench');
const name = process.argv[2];
const available = readdirSync(benchDir).filter((f) => f.endsWith('.ts') && !f.includes('.test.')).map((f) => f.slice(0, -3));
if (!name || !existsSync(join(benchDir, `${name}.ts`))) {
  process.stderr.write(`usage: npm run bench -- <${available.join('|')}> [args]\n`);
  process.exit(2);
}
process.argv.splice(2, 1);
register();
await import(join(benchDir, `${name}.ts`));

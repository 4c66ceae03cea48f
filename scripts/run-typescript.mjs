// Runs a TypeScript file with tsx's module hooks registered from code:
//   node scripts/run-typescript.mjs <file.ts> [arguments…]
// `npm run bench` and `npm run example <file>` start this way.
// why not `npx tsx <file>`: tsx's command line (and `node --import tsx`) makes V8 see a detached
// ArrayBuffer at start-up. From then on V8 checks every typed-array access in the process for
// detachment, and plain JavaScript loops over typed arrays (gradguard's TypeScript kernels, and
// tfjs-cpu's in the bench) ran up to 2× slower: examples/spiral.ts took 2.3 s instead of 1.4 s. A
// compiled Node program or a browser page does not pay that. Registering the hooks this way does
// not trigger it; `node --trace-protector-invalidation scripts/run-typescript.mjs <file.ts>` prints
// "Invalidating protector cell ArrayBufferDetaching" if anything does.
import path from 'node:path';
import { pathToFileURL } from 'node:url';

// why a dynamic import: the static form registered the same hooks but still tripped the check.
const { register } = await import('tsx/esm/api');
register();
const [file, ...args] = process.argv.slice(2);
if (file === undefined) {
  console.error('usage: node scripts/run-typescript.mjs <file.ts> [arguments…]   (or: npm run example examples/xor.ts)');
  process.exit(2);
}
process.argv = [process.argv[0], path.resolve(file), ...args];
await import(pathToFileURL(path.resolve(file)).href);

// Runs a TypeScript bench script (`node bench/launch.mjs bench/run.ts [args]`), compiling it with
// tsx's module hooks registered from code.
// why not `tsx bench/run.ts`: tsx's command line (and `node --import tsx`) makes V8 see a
// detached ArrayBuffer at start-up. From then on V8 checks every typed-array access in the process
// for detachment, and plain JavaScript loops over typed arrays (gradguard's TypeScript kernels,
// tfjs-cpu's) ran up to 2× slower. A user's compiled Node program or browser page does not pay
// that, so the bench must not either. Registering the hooks this way does not trigger it; check
// with `node --trace-protector-invalidation bench/launch.mjs bench/run.ts kernels`, which prints
// "Invalidating protector cell ArrayBufferDetaching" if anything does.
import path from 'node:path';
import { pathToFileURL } from 'node:url';

// why a dynamic import: the static form registered the same hooks but still tripped the check.
const { register } = await import('tsx/esm/api');
register();
const [script, ...args] = process.argv.slice(2);
if (script === undefined) {
  console.error('usage: node bench/launch.mjs <script.ts> [arguments…]');
  process.exit(2);
}
process.argv = [process.argv[0], path.resolve(script), ...args];
await import(pathToFileURL(path.resolve(script)).href);

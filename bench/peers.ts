import type * as TensorFlow from '@tensorflow/tfjs';
import type * as TensorFlowWasm from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import path from 'node:path';

/*
 * The peers measured in the same process: TensorFlow.js 4.22 with its pure-JavaScript cpu
 * backend and with its WebAssembly backend (XNNPACK, SIMD, one thread). A tfjs op is timed as
 * `c = op(a, b); c.dataSync(); c.dispose()` — never inside tf.tidy, which is far slower with
 * dataSync() inside and would flatter us.
 */

export type PeerName = 'tfjs-cpu' | 'tfjs-wasm';

/*
 * why require() and not import: under tsx's loader, importing a CommonJS package through ESM
 * makes V8 see a detached ArrayBuffer, and from then on every typed-array loop in the process
 * (gradguard's TypeScript kernels and tfjs-cpu's alike) checks for detachment on each access and
 * runs up to 2× slower. A user's plain Node or browser process does not pay that, so neither may
 * the bench (see runBenchProcess in harness.ts).
 */
const require = createRequire(import.meta.url);
export const tf = require('@tensorflow/tfjs') as typeof TensorFlow;
/** The tfjs types the suites name (tf.Tensor…), beside the value `tf`. */
export declare namespace tf {
  type Tensor = TensorFlow.Tensor;
  type Variable = TensorFlow.Variable;
  type Scalar = TensorFlow.Scalar;
}
const { setWasmPaths } = require('@tensorflow/tfjs-backend-wasm') as typeof TensorFlowWasm;

let wasmConfigured = false;

/** The directory holding the wasm binaries that ship inside @tensorflow/tfjs-backend-wasm. */
function wasmDirectory(): string {
  return `${path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'))}/dist/`;
}

/** Makes `peer` the active tfjs backend; false when it cannot start here (the row then shows —). */
export async function usePeer(peer: PeerName): Promise<boolean> {
  const backend = peer === 'tfjs-cpu' ? 'cpu' : 'wasm';
  if (backend === 'wasm' && !wasmConfigured) {
    // One thread, like every other figure here: the threaded build would also need workers.
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    setWasmPaths(wasmDirectory());
    wasmConfigured = true;
  }
  silenceTfjsBanner();
  try {
    const ok = await tf.setBackend(backend);
    await tf.ready();
    return ok && tf.getBackend() === backend;
  } catch {
    return false;
  }
}

let silenced = false;

/** tfjs prints a "use tfjs-node" banner through console.log/warn on its first op in Node; keep the tables clean. */
function silenceTfjsBanner(): void {
  if (silenced) return;
  silenced = true;
  const { log, warn } = console;
  const filter = (original: (...args: unknown[]) => void) => (...args: unknown[]): void => {
    const text = args.map(String).join(' ');
    if (text.includes('TensorFlow.js in Node.js') || text.startsWith('====')) return;
    original(...args);
  };
  console.log = filter(log);
  console.warn = filter(warn);
}

/** Times a tfjs op the fair way: run it, read the result synchronously, free it. */
export function runOp(op: () => tf.Tensor): void {
  const c = op();
  c.dataSync();
  c.dispose();
}

/** Runs a tfjs function returning several tensors (gradients), reading and freeing each. */
export function runOps(op: () => tf.Tensor[]): void {
  for (const t of op()) {
    t.dataSync();
    t.dispose();
  }
}

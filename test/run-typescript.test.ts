import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

/*
 * scripts/run-typescript.mjs (how `npm run bench` and `npm run example` start) must never show V8
 * a detached ArrayBuffer: after the first one V8 checks every typed-array access in the process
 * for detachment, and the TypeScript kernels (and tfjs-cpu's loops) run up to 2× slower, which a
 * user's plain Node program does not pay. The script registers tsx from code and the bench suites
 * require() their CommonJS peers for that reason; V8's --trace-protector-invalidation says whether
 * anything tripped the check anyway.
 */

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const LAUNCH = fileURLToPath(new URL('../scripts/run-typescript.mjs', import.meta.url));
const PROBE = fileURLToPath(new URL('./fixtures/run-typescript-probe.ts', import.meta.url));
const SPIRAL = fileURLToPath(new URL('../examples/spiral.ts', import.meta.url));
const TRIPPED = 'Invalidating protector cell ArrayBufferDetaching';

describe('scripts/run-typescript.mjs', () => {
  it('runs a TypeScript script with its arguments, loading benchmark.js, tfjs-cpu and both kernel paths without a detached buffer', async () => {
    const { stdout, stderr } = await run(process.execPath, ['--trace-protector-invalidation', LAUNCH, PROBE, 'hello'], { cwd: ROOT, maxBuffer: 1 << 24 });
    const output = stdout + stderr;
    expect(output).not.toContain(TRIPPED);
    const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as { arg: string; sum: number };
    expect(result).toEqual({ arg: 'hello', sum: 64 * 128 * 0.75 });
  }, 60_000);

  it('runs an example to the end without a detached buffer', async () => {
    const { stdout, stderr } = await run(process.execPath, ['--trace-protector-invalidation', LAUNCH, SPIRAL], { cwd: ROOT, maxBuffer: 1 << 24 });
    expect(stdout + stderr).not.toContain(TRIPPED);
    expect(stdout).toMatch(/final training accuracy: \d+\.\d%/);
  }, 60_000);

  it('the trace this test relies on does report a detached buffer', async () => {
    // why: if a Node upgrade renamed the protector or the flag, the test above could no longer fail
    const script = 'const b = new ArrayBuffer(8); structuredClone(b, { transfer: [b] });';
    const { stdout } = await run(process.execPath, ['--trace-protector-invalidation', '-e', script], { cwd: ROOT });
    expect(stdout).toContain(TRIPPED);
  });

  it('explains its usage when no script is given', async () => {
    await expect(run(process.execPath, [LAUNCH], { cwd: ROOT })).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('usage: node scripts/run-typescript.mjs') });
  });
});

import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

/*
 * The bench's measuring processes must never show V8 a detached ArrayBuffer: after the first one
 * V8 checks every typed-array access in the process for detachment, and the TypeScript kernels
 * (and tfjs-cpu's loops) run up to 2× slower, which a user's plain Node program does not pay.
 * bench/launch.mjs registers tsx from code and the suites require() their CommonJS peers for that
 * reason; V8's --trace-protector-invalidation says whether anything tripped the check anyway.
 */

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const LAUNCH = fileURLToPath(new URL('../bench/launch.mjs', import.meta.url));
const PROBE = fileURLToPath(new URL('./fixtures/bench-launch-probe.ts', import.meta.url));
const TRIPPED = 'Invalidating protector cell ArrayBufferDetaching';

describe('bench/launch.mjs', () => {
  it('runs a TypeScript script with its arguments, loading benchmark.js, tfjs-cpu and both kernel paths without a detached buffer', async () => {
    const { stdout, stderr } = await run(process.execPath, ['--trace-protector-invalidation', LAUNCH, PROBE, 'hello'], { cwd: ROOT, maxBuffer: 1 << 24 });
    const output = stdout + stderr;
    expect(output).not.toContain(TRIPPED);
    const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as { arg: string; sum: number };
    expect(result).toEqual({ arg: 'hello', sum: 64 * 128 * 0.75 });
  }, 60_000);

  it('the trace this test relies on does report a detached buffer', async () => {
    // why: if a Node upgrade renamed the protector or the flag, the test above could no longer fail
    const script = 'const b = new ArrayBuffer(8); structuredClone(b, { transfer: [b] });';
    const { stdout } = await run(process.execPath, ['--trace-protector-invalidation', '-e', script], { cwd: ROOT });
    expect(stdout).toContain(TRIPPED);
  });

  it('explains its usage when no script is given', async () => {
    await expect(run(process.execPath, [LAUNCH], { cwd: ROOT })).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('usage: node bench/launch.mjs') });
  });
});

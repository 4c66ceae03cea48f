import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

/*
 * Reproducibility across processes, not only within one: a fresh Node process seeded with
 * manualSeed must replay the same run bit for bit, with dropout masks and DataLoader shuffles
 * on (both draw from the global generator). Losses are compared as the hex of their float bits,
 * so even a difference in the last bit fails.
 */

const run = promisify(execFile);
const FIXTURE = fileURLToPath(new URL('./fixtures/determinism-run.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const STEPS = 500;

interface Run {
  seed: number;
  losses: string[];
  parameters: string;
}

async function trainInFreshProcess(seed: number): Promise<Run> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', FIXTURE, String(seed), String(STEPS)], { cwd: ROOT });
  return JSON.parse(stdout) as Run;
}

describe('determinism across processes', () => {
  it('the same seed gives bit-identical losses and parameters over 500 steps with dropout and shuffling; another seed does not', async () => {
    const [first, second, other] = await Promise.all([trainInFreshProcess(1234), trainInFreshProcess(1234), trainInFreshProcess(1235)]);

    expect(first.losses).toHaveLength(STEPS);
    for (const bits of first.losses) expect(bits).toMatch(/^[0-9a-f]{8}$/); // float32 losses
    expect(second.losses).toEqual(first.losses);
    expect(second.parameters).toEqual(first.parameters);

    expect(other.losses).toHaveLength(STEPS);
    expect(other.losses[0]).not.toBe(first.losses[0]); // a different init, batch order and mask from the start
    const differing = other.losses.filter((bits, i) => bits !== first.losses[i]).length;
    expect(differing).toBeGreaterThan(STEPS * 0.9);
    expect(other.parameters).not.toBe(first.parameters);
  }, 60_000);
});

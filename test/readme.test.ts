/**
 * README truth: every ```ts block of README.md runs as written (with `gradguard` mapped to
 * src/index.ts and `gradguard/node` to src/node.ts), and the outputs it claims are printed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
const work = mkdtempSync(join(tmpdir(), 'gradguard-readme-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Run { status: number; stdout: string; stderr: string }

function runBlock(index: number): Run {
  const code = blocks[index]!
    .replace(/from 'gradguard\/node'/g, `from '${join(root, 'src/node.ts')}'`)
    .replace(/from 'gradguard'/g, `from '${join(root, 'src/index.ts')}'`);
  const file = join(work, `block-${index}.mts`);
  writeFileSync(file, code);
  const tsx = join(root, 'node_modules/.bin/tsx');
  const result = spawnSync(tsx, [file], { cwd: work, encoding: 'utf8', timeout: 55_000 });
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** The numbers and messages the README's prose claims for a block, checked on its output. */
const claims: Array<{ marker: string; check: (run: Run) => void }> = [
  {
    // "At step 0 the loss is 1.9·10⁸ and the report reads { ok: true, totalNorm: 885418139.4, clipScale: 1.13e-9 … }
    //  and after 500 steps the loss is about 1."
    marker: 'explodes on purpose',
    check: ({ status, stdout }) => {
      expect(status).toBe(0);
      const first = stdout;
      const last = stdout.trim().split('\n').at(-1)!;
      expect(Number(first.split(' ')[0])).toBeCloseTo(1.9e8, -7);
      expect(first).toMatch(/ok: true/);
      expect(first).toMatch(/totalNorm: 885418139\.\d+/);
      expect(first).toMatch(/clipScale: 1\.129\d*e-9/);
      expect(first).toContain("message: 'globalNormClip: total norm 8.854e+8 scaled by 1.129e-9'");
      expect(Math.abs(Number(last) - 1)).toBeLessThan(0.2);
    },
  },
  {
    // The documented error message, module path and op.
    marker: 'guards.detectAnomaly(() =>',
    check: ({ status, stderr }) => {
      expect(status).not.toBe(0);
      expect(stderr).toContain("NonFiniteError: linear: produced a non-finite value (NaN or ±Inf) from finite inputs in module '10';");
      expect(stderr).toContain('input shapes [90,16], [16,16], [16], output shape [90,16]');
      expect(stderr).toMatch(/the op was created at <anonymous> \(.*block-\d+\.mts:11:40\)/);
      expect(stderr).toMatch(/op: 'linear',[\s\S]*phase: 'forward',[\s\S]*module: '10'/);
    },
  },
];

describe('README.md', () => {
  it('has ts code blocks, none of them fragments', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(6);
    for (const block of blocks) {
      expect(block).not.toMatch(/^\s*\.\.\.\s*$/m);
      expect(block).toMatch(/^import /m);
    }
  });

  blocks.forEach((block, index) => {
    const firstLine = block.split('\n').find((line) => !line.startsWith('import') && line.trim() !== '') ?? '';
    it(`block ${index + 1} runs and prints what it claims: ${firstLine.slice(0, 50)}`, () => {
      const run = runBlock(index);
      const claim = claims.find(({ marker }) => block.includes(marker));
      if (claim !== undefined) {
        claim.check(run);
        return;
      }
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      // Every `console.log(...); // expected` comment in the block is checked against the output.
      for (const [, expected] of block.matchAll(/console\.log\([^\n]*\);\s*\/\/\s*(.+)$/gm)) {
        expect(run.stdout).toContain(expected!.trim());
      }
    });
  });
});

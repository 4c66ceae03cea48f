import { chmodSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';

const savedPath = process.env.PATH;
afterEach(() => {
  process.env.PATH = savedPath;
});

async function graph(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string; folder: string }> {
  const folder = mkdtempSync(join(tmpdir(), 'gradguard-graph-'));
  let stdout = '';
  let stderr = '';
  const code = await main(['graph', ...argv], { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) }, cwd: folder });
  return { code, stdout, stderr, folder };
}

/** A folder holding a stand-in `dot` that answers -V and turns any input into a fixed SVG. */
function fakeGraphviz(): string {
  const bin = mkdtempSync(join(tmpdir(), 'gradguard-fake-dot-'));
  writeFileSync(join(bin, 'dot'), '#!/bin/sh\nif [ "$1" = "-V" ]; then exit 0; fi\ncat > /dev/null\necho "<svg>rendered</svg>"\n');
  chmodSync(join(bin, 'dot'), 0o755);
  return bin;
}

describe('gradguard graph', () => {
  it('writes the DOT of one training step, with every layer, and says when Graphviz is missing', async () => {
    process.env.PATH = mkdtempSync(join(tmpdir(), 'gradguard-empty-path-'));
    const result = await graph('--depth', '3', '--width', '5', '--inputs', '2', '--classes', '3');
    expect(result.code).toBe(0);
    expect(readdirSync(result.folder)).toEqual(['gradguard-graph.dot']);
    expect(result.stderr).toMatch(/^note: Graphviz `dot` is not on the PATH, so no SVG was rendered/);
    const dot = readFileSync(join(result.folder, 'gradguard-graph.dot'), 'utf8');
    expect(dot.match(/\[label="linear\\n/g)).toHaveLength(3);
    expect(dot.match(/\[label="relu\\n/g)).toHaveLength(2);
    expect(dot).toContain('label="crossEntropy\\n[]\\n‖grad‖ 1"');
    for (const name of ['0.weight', '2.weight', '4.weight', '4.bias']) expect(dot).toContain(`[label="${name}\\n`);
  });

  it('renders SVG through `dot` when it is on the PATH', async () => {
    process.env.PATH = `${fakeGraphviz()}:${savedPath ?? ''}`;
    const result = await graph('--out', 'step.dot');
    expect(result.code).toBe(0);
    expect(readdirSync(result.folder).sort()).toEqual(['step.dot', 'step.svg']);
    expect(readFileSync(join(result.folder, 'step.svg'), 'utf8')).toBe('<svg>rendered</svg>\n');
    expect(result.stdout).toContain(`SVG: ${join(result.folder, 'step.svg')}`);
  });

  it('leaves out gradient norms when asked for the forward graph only', async () => {
    process.env.PATH = mkdtempSync(join(tmpdir(), 'gradguard-empty-path-'));
    const result = await graph('--forward-only');
    expect(readFileSync(join(result.folder, 'gradguard-graph.dot'), 'utf8')).not.toContain('‖grad‖');
  });
});

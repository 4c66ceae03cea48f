import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BuildResult, Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as library from '../src/index.js';
import { bundleForBrowser, nodeBuiltinImports, writeOutput } from './browser-build.js';

/*
 * The `gradguard` entry is browser-safe (API.md): bundled for the browser platform, no Node
 * built-in may be reachable from src/index.ts, whether imported by our code or by a package
 * it pulls in. Only `gradguard/node` (src/node.ts) may use them.
 */

const OUTDIR = 'dist-browser'; // never written: the build stays in memory
let result: BuildResult<{ metafile: true; write: false }>;
let nodeEntry: Metafile;
let folder: string;

beforeAll(async () => {
  [result, { metafile: nodeEntry }] = await Promise.all([bundleForBrowser('src/index.ts', OUTDIR), bundleForBrowser('src/node.ts', OUTDIR)]);
  folder = mkdtempSync(join(tmpdir(), 'gradguard-bundle-'));
}, 30_000);

afterAll(() => {
  rmSync(folder, { recursive: true, force: true });
});

describe('the browser bundle of gradguard', () => {
  it('reaches no Node built-in from src/index.ts', () => {
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
    expect(nodeBuiltinImports(result.metafile)).toEqual([]);
    const sources = Object.keys(result.metafile.inputs).filter((file) => file.startsWith('src/'));
    expect(sources).toContain('src/autograd/engine.ts');
    expect(sources.length).toBeGreaterThan(50);
  });

  it('the same check catches the Node-only entry, which imports node: modules (the check is not vacuous)', () => {
    const found = nodeBuiltinImports(nodeEntry);
    expect(found.some((line) => /^src\/.*\.ts imports node:fs/.test(line)), found.join('\n')).toBe(true);
  });

  it('is non-trivial, exports the whole public surface, and computes a gradient once loaded', async () => {
    const [entryPath, entry] = Object.entries(result.metafile.outputs).find(([, output]) => output.entryPoint === 'src/index.ts')!;
    expect(entry.bytes).toBeGreaterThan(100_000);
    expect(entry.exports.slice().sort()).toEqual(Object.keys(library).sort());

    writeOutput(result, OUTDIR, folder);
    const bundled = (await import(pathToFileURL(join(folder, entryPath.slice(OUTDIR.length + 1))).href)) as typeof library;
    const x = bundled.tensor([1, -2, 3], { requiresGrad: true });
    x.mul(x).sum().backward(); // d/dx Σx² = 2x
    expect(Array.from(x.grad!.data)).toEqual([2, -4, 6]);
    expect(x).toBeInstanceOf(bundled.Tensor);
    expect(x).not.toBeInstanceOf(library.Tensor); // really the bundle, not the sources
  });
});

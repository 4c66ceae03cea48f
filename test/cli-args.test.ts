import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError, helpText, parseOptions, type OptionSpecs } from '../src/cli/args.js';
import { activationName } from '../src/cli/activation.js';
import { GRAPH_OPTIONS } from '../src/cli/commands/graph.js';
import { TRAIN_OPTIONS } from '../src/cli/commands/train.js';
import { main } from '../src/cli/main.js';

const SPECS = {
  lr: { kind: 'number', description: 'learning rate', min: 0, exclusiveMin: true, default: 0.1 },
  depth: { kind: 'integer', description: 'layers', min: 1, default: 4 },
  out: { kind: 'string', valueName: 'PATH', description: 'report' },
  dataset: { kind: 'string', valueName: 'DATASET', description: 'data', choices: ['mnist', 'spirals'], default: 'mnist' },
  guard: { kind: 'list', valueName: 'GUARD', description: 'guards', choices: ['agc', 'zclip', 'autoclip'] },
  quiet: { kind: 'flag', description: 'say less' },
} as const satisfies OptionSpecs;

function parse(...argv: string[]) {
  return parseOptions('gradguard test', argv, SPECS);
}

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error('expected a UsageError');
}

describe('parseOptions', () => {
  it('fills defaults and reads --name value, --name=value, flags and repeated or comma-separated lists', () => {
    expect(parse().options).toEqual({ lr: 0.1, depth: 4, dataset: 'mnist' });
    const { options, help } = parse('--lr', '0.5', '--depth=12', '--out', 'r.html', '--guard', 'agc,zclip', '--guard', 'autoclip', '--quiet');
    expect(options).toEqual({ lr: 0.5, depth: 12, out: 'r.html', dataset: 'mnist', guard: ['agc', 'zclip', 'autoclip'], quiet: true });
    expect(help).toBe(false);
    expect(parse('--help').help).toBe(true);
    expect(parse('-h').help).toBe(true);
  });

  it('accepts negative numbers as values and lets the last repetition win', () => {
    const specs = { shift: { kind: 'number', description: 'x' } } as const satisfies OptionSpecs;
    expect(parseOptions('t', ['--shift', '-2.5'], specs).options.shift).toBe(-2.5);
    expect(parse('--lr', '0.2', '--lr', '0.3').options.lr).toBe(0.3);
  });

  it('explains each kind of mistake in one line that names the command and the option', () => {
    expect(errorOf(() => parse('--lr', 'fast'))).toBe("gradguard test: --lr must be a positive number, got 'fast'");
    expect(errorOf(() => parse('--lr', '0'))).toBe('gradguard test: --lr must be a positive number, got 0');
    expect(errorOf(() => parse('--depth', '-3'))).toBe('gradguard test: --depth must be a positive integer, got -3');
    expect(errorOf(() => parse('--depth', '2.5'))).toBe("gradguard test: --depth must be a positive integer, got '2.5'");
    expect(errorOf(() => parse('--dataset', 'cifar'))).toBe("gradguard test: unknown dataset 'cifar' for --dataset; choose from mnist, spirals");
    expect(errorOf(() => parse('--guard', 'agc,clipall'))).toBe("gradguard test: unknown guard 'clipall' for --guard; choose from agc, zclip, autoclip");
    expect(errorOf(() => parse('--dpeth', '3'))).toBe('gradguard test: unknown option --dpeth (did you mean --depth?) (see gradguard test --help)');
    expect(errorOf(() => parse('--colour'))).toBe('gradguard test: unknown option --colour (see gradguard test --help)');
    expect(errorOf(() => parse('--out'))).toBe('gradguard test: --out needs a value (PATH)');
    expect(errorOf(() => parse('--out', '--quiet'))).toBe('gradguard test: --out needs a value (PATH)');
    expect(errorOf(() => parse('report.html'))).toBe("gradguard test: unexpected argument 'report.html' (options start with --; see --help)");
    expect(errorOf(() => parse('--quiet=yes'))).toBe("gradguard test: --quiet is a switch: give it alone or as --quiet=true|false, got 'yes'");
  });

  it('spells --activation the same in train and graph, documents leaky-relu and still accepts leakyRelu', () => {
    for (const specs of [TRAIN_OPTIONS, GRAPH_OPTIONS]) {
      expect(parseOptions('gradguard x', ['--activation', 'leaky-relu'], specs).options.activation).toBe('leaky-relu');
      expect(parseOptions('gradguard x', ['--activation', 'leakyRelu'], specs).options.activation).toBe('leaky-relu');
      expect(helpText('u', 'd', specs)).toContain('(relu | leaky-relu | tanh | sigmoid | gelu)');
      expect(() => parseOptions('gradguard x', ['--activation', 'swish'], specs)).toThrow(UsageError);
    }
    expect(activationName('leaky-relu')).toBe('leakyRelu');
  });

  it('lists every option with its choices and default in the help text', () => {
    const text = helpText('gradguard test [options]', 'Tests.', SPECS);
    expect(text).toContain('Usage: gradguard test [options]');
    expect(text).toMatch(/--lr NUMBER\s+learning rate \[default: 0.1\]/);
    expect(text).toMatch(/--dataset DATASET\s+data \(mnist \| spirals\) \[default: mnist\]/);
    expect(text).toMatch(/--quiet\s+say less/);
    expect(text).toMatch(/--help, -h\s+show this help/);
  });
});

/** Runs the CLI in-process and collects what it prints. */
async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const cwd = mkdtempSync(join(tmpdir(), 'gradguard-cli-'));
  const code = await main(argv, { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) }, cwd });
  expect(readdirSync(cwd)).toEqual([]); // nothing written, not even half a file
  return { code, stdout, stderr };
}

describe('gradguard command line', () => {
  it('exits with 2 and one line on stderr for bad arguments, writing nothing', async () => {
    const cases: Array<[string[], string]> = [
      [['study', '--lr', 'fast'], "gradguard study: --lr must be a positive number, got 'fast'\n"],
      [['train', '--depth', '-3'], 'gradguard train: --depth must be an integer of at least 2, got -3\n'],
      [['train', '--dataset', 'cifar10'], "gradguard train: unknown dataset 'cifar10' for --dataset; choose from mnist, spirals\n"],
      [['train', '--guard', 'magic'], "gradguard train: unknown guard 'magic' for --guard; choose from value-clip, global-norm, agc, zclip, autoclip, rollback, nan-trap\n"],
      [['study', '--guards', 'none,magic'], "gradguard study: unknown guard 'magic' for --guards; choose from none, value-clip, global-norm, agc, zclip, autoclip, rollback\n"],
      [['study', '--frobnicate'], 'gradguard study: unknown option --frobnicate (see gradguard study --help)\n'],
      [['graph', '--width', '0'], 'gradguard graph: --width must be a positive integer, got 0\n'],
      [['fly'], "gradguard: unknown command 'fly'; commands: study, train, graph (see gradguard --help)\n"],
      [['--verbose'], 'gradguard: unknown option --verbose; commands: study, train, graph (see gradguard --help)\n'],
    ];
    for (const [argv, message] of cases) {
      const result = await cli(...argv);
      expect(result, argv.join(' ')).toEqual({ code: 2, stdout: '', stderr: message });
    }
  });

  it('refuses an output path in a folder that does not exist before doing any work', async () => {
    const result = await cli('study', '--out', 'no/such/folder/report.html', '--steps', '1');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^gradguard study: --out: folder '.*no\/such\/folder' does not exist\n$/);
    expect(result.stdout).toBe('');
  });

  it('prints the version, the command list and each command\'s help', async () => {
    expect((await cli('--version')).stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    const usage = await cli('--help');
    expect(usage.code).toBe(0);
    for (const command of ['study', 'train', 'graph']) expect(usage.stdout).toContain(`  ${command}`);
    for (const command of ['study', 'train', 'graph']) {
      const help = await cli(command, '--help');
      expect(help.code).toBe(0);
      expect(help.stdout).toContain(`Usage: gradguard ${command} [options]`);
    }
    expect((await cli('study', '--help')).stdout).toMatch(/--out PATH\s+where to write the HTML report \[default: gradguard-report.html\]/);
  });

  it('exits with code 2 from the real launcher too', () => {
    const result = spawnSync(process.execPath, ['bin/gradguard.mjs', 'train', '--lr', 'abc'], { encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stderr).toBe("gradguard train: --lr must be a positive number, got 'abc'\n");
  });
});

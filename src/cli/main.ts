import { readFileSync } from 'node:fs';
import { UsageError } from './args.js';
import type { Output } from './progress.js';

/** What a command runs with: its arguments, where it prints, and the folder paths are relative to. */
export interface CommandContext {
  readonly argv: readonly string[];
  readonly stdout: Output;
  readonly stderr: Output;
  readonly cwd: string;
}

/** A subcommand: resolves to the process exit code. */
export type Command = (context: CommandContext) => Promise<number>;

interface CommandEntry {
  readonly summary: string;
  readonly load: () => Promise<Command>;
}

// why: commands are loaded on demand, so `--help` and argument errors answer without loading the engine.
const COMMANDS: Record<string, CommandEntry> = {
  study: { summary: 'train one deep network under every guard and write the HTML report (what `npm start` runs)', load: async () => (await import('./commands/study.js')).study },
  train: { summary: 'train one configuration: dataset, depth, width, activation, init, optimizer, guards', load: async () => (await import('./commands/train.js')).train },
  graph: { summary: 'write the autograd graph of one training step as Graphviz DOT (and SVG when `dot` is installed)', load: async () => (await import('./commands/graph.js')).graph },
};

/**
 * The package version, read from package.json.
 * @example
 * version(); // '0.1.0'
 */
export function version(): string {
  const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
  const parsed: unknown = JSON.parse(text);
  return typeof parsed === 'object' && parsed !== null && 'version' in parsed && typeof parsed.version === 'string' ? parsed.version : 'unknown';
}

function usage(): string {
  const names = Object.keys(COMMANDS);
  const width = Math.max(...names.map((n) => n.length)) + 2;
  return [
    'Usage: gradguard <command> [options]',
    '',
    'gradguard: an autodiff engine whose backward pass guards against exploding gradients.',
    '',
    'Commands:',
    ...names.map((name) => `  ${name.padEnd(width)}${COMMANDS[name]!.summary}`),
    '',
    'Options:',
    '  --help, -h     show this help (or a command\'s: gradguard study --help)',
    '  --version, -v  print the version',
    '',
  ].join('\n');
}

/**
 * Runs the CLI and resolves to its exit code: 0 on success, 1 when the work itself failed,
 * 2 for a mistake in the command line (one line on stderr, nothing written).
 * @example
 * process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd() });
 */
export async function main(argv: readonly string[], io: Omit<CommandContext, 'argv'>): Promise<number> {
  const [first, ...rest] = argv;
  try {
    if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
      io.stdout.write(usage());
      return 0;
    }
    if (first === '--version' || first === '-v') {
      io.stdout.write(`${version()}\n`);
      return 0;
    }
    const entry = COMMANDS[first];
    if (entry === undefined) {
      const hint = first.startsWith('-') ? `unknown option ${first}` : `unknown command '${first}'`;
      throw new UsageError('gradguard', `${hint}; commands: ${Object.keys(COMMANDS).join(', ')} (see gradguard --help)`);
    }
    const command = await entry.load();
    return await command({ ...io, argv: rest });
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`${error.message}\n`);
      return error.exitCode;
    }
    const message = error instanceof Error ? error.message : String(error);
    io.stderr.write(`gradguard: ${message}\n`);
    return 1;
  }
}

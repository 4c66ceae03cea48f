/**
 * The CLI's argument parser: options are declared once (kind, default, limits, help text), and
 * every mistake becomes one `UsageError` line such as
 * `gradguard train: --lr must be a number, got 'fast'`, which the CLI prints and exits with 2.
 */

/** What an option holds. `list` options may be repeated or given comma-separated. */
export type OptionKind = 'integer' | 'number' | 'string' | 'flag' | 'list';

type ValueOf<K extends OptionKind> = K extends 'integer' | 'number' ? number : K extends 'flag' ? boolean : K extends 'list' ? string[] : string;

/** Declaration of one `--name value` option. */
export interface OptionSpec<K extends OptionKind = OptionKind> {
  readonly kind: K;
  readonly description: string;
  readonly default?: ValueOf<K>;
  /** Smallest allowed value (numbers). */
  readonly min?: number;
  /** True when the minimum itself is not allowed (`lr > 0`). */
  readonly exclusiveMin?: boolean;
  /** Allowed values (strings and list items). */
  readonly choices?: readonly string[];
  /** Other accepted spellings, each mapped to one of `choices`; the help lists only `choices`. */
  readonly aliases?: Readonly<Record<string, string>>;
  /** Placeholder in the help text (`PATH`, `N`). */
  readonly valueName?: string;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** Parsed options: declared defaults are always present; other options may be missing. */
export type ParsedOptions<S extends OptionSpecs> = {
  [N in keyof S]: S[N] extends { default: unknown } ? ValueOf<S[N]['kind']> : ValueOf<S[N]['kind']> | undefined;
};

/**
 * A mistake in the command line: one line for stderr, exit code 2.
 * @example
 * throw new UsageError('gradguard train', "--lr must be a positive number, got 'fast'");
 */
export class UsageError extends Error {
  readonly exitCode = 2;
  constructor(command: string, message: string) {
    super(`${command}: ${message}`);
    this.name = 'UsageError';
  }
}

/**
 * Parses `argv` (without the command name) against `specs`. `--name value`, `--name=value` and
 * bare `--flag` are accepted; `--help` / `-h` sets `help`. Positional arguments are refused.
 * @example
 * parseOptions('gradguard train', ['--lr', '0.1'], { lr: { kind: 'number', description: 'step size', default: 0.01 } });
 * // { options: { lr: 0.1 }, help: false }
 */
export function parseOptions<S extends OptionSpecs>(command: string, argv: readonly string[], specs: S): { options: ParsedOptions<S>; help: boolean } {
  const raw = new Map<string, string[]>();
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    if (!arg.startsWith('--') || arg === '--') throw new UsageError(command, `unexpected argument '${arg}' (options start with --; see --help)`);
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    const spec = specs[name];
    if (spec === undefined) throw new UsageError(command, `unknown option --${name}${suggest(name, Object.keys(specs))} (see ${command} --help)`);
    let value: string;
    if (eq !== -1) value = arg.slice(eq + 1);
    else if (spec.kind === 'flag') value = 'true';
    else {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('--') && next.length > 2)) throw new UsageError(command, `--${name} needs a value${spec.valueName === undefined ? '' : ` (${spec.valueName})`}`);
      value = next;
      i++;
    }
    raw.set(name, [...(raw.get(name) ?? []), value]);
  }
  const options: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) {
    const values = raw.get(name);
    if (values === undefined) {
      if (spec.default !== undefined) options[name] = spec.default;
      continue;
    }
    options[name] = convert(command, name, spec, values);
  }
  return { options: options as ParsedOptions<S>, help };
}

function convert(command: string, name: string, spec: OptionSpec, values: readonly string[]): unknown {
  const last = values[values.length - 1]!;
  switch (spec.kind) {
    case 'flag':
      if (last !== 'true' && last !== 'false') throw new UsageError(command, `--${name} is a switch: give it alone or as --${name}=true|false, got '${last}'`);
      return last === 'true';
    case 'integer':
    case 'number':
      return checkNumber(command, name, spec, last);
    case 'string':
      return checkChoice(command, name, spec, last);
    case 'list': {
      const items = values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
      return items.map((item) => checkChoice(command, name, spec, item));
    }
  }
}

function checkNumber(command: string, name: string, spec: OptionSpec, text: string): number {
  const value = text.trim() === '' ? Number.NaN : Number(text);
  const expected = describeNumber(spec);
  if (!Number.isFinite(value) || (spec.kind === 'integer' && !Number.isInteger(value))) {
    throw new UsageError(command, `--${name} must be ${expected}, got '${text}'`);
  }
  if (spec.min !== undefined && (value < spec.min || (spec.exclusiveMin === true && value === spec.min))) {
    throw new UsageError(command, `--${name} must be ${expected}, got ${text}`);
  }
  return value;
}

/** "a positive integer", "a number of at least 2", … */
function describeNumber(spec: OptionSpec): string {
  const noun = spec.kind === 'integer' ? 'integer' : 'number';
  const exclusive = spec.exclusiveMin === true;
  if (spec.min === undefined) return noun === 'integer' ? 'an integer' : 'a number';
  if ((spec.min === 0 && exclusive) || (spec.min === 1 && noun === 'integer' && !exclusive)) return `a positive ${noun}`;
  if (spec.min === 0) return `a non-negative ${noun}`;
  return `${noun === 'integer' ? 'an' : 'a'} ${noun} ${exclusive ? 'greater than' : 'of at least'} ${spec.min}`;
}

/** The declared choice `value` names (itself, or the choice it is an alias of); a UsageError when it names none. */
function checkChoice(command: string, name: string, spec: OptionSpec, value: string): string {
  const choice = (spec.aliases !== undefined && Object.hasOwn(spec.aliases, value) ? spec.aliases[value] : undefined) ?? value;
  if (spec.choices === undefined || spec.choices.includes(choice)) return choice;
  throw new UsageError(command, `unknown ${spec.valueName?.toLowerCase() ?? 'value'} '${value}' for --${name}; choose from ${spec.choices.join(', ')}`);
}

/** " (did you mean --steps?)" when a declared name is one or two edits away. */
function suggest(name: string, known: readonly string[]): string {
  const close = known.find((candidate) => editDistance(name, candidate) <= 2);
  return close === undefined ? '' : ` (did you mean --${close}?)`;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** What `--help` shows above the options: the usage line and a description. */
export interface CommandHelp {
  readonly usage: string;
  readonly description: string;
}

/**
 * A command's options, or `null` after writing its help text to `stdout` when `--help` was given:
 * the preamble every command starts with.
 * @example
 * const options = parseCommandLine('gradguard train', argv, TRAIN_OPTIONS, { usage, description }, stdout);
 * if (options === null) return 0;
 */
export function parseCommandLine<S extends OptionSpecs>(
  command: string,
  argv: readonly string[],
  specs: S,
  help: CommandHelp,
  stdout: { write(text: string): unknown },
): ParsedOptions<S> | null {
  const parsed = parseOptions(command, argv, specs);
  if (!parsed.help) return parsed.options;
  stdout.write(helpText(help.usage, help.description, specs));
  return null;
}

/**
 * The help text of a command: usage line, description and one line per option.
 * @example
 * helpText('gradguard train [options]', 'Trains one model.', TRAIN_OPTIONS);
 */
export function helpText(usage: string, description: string, specs: OptionSpecs): string {
  const rows = Object.entries(specs).map(([name, spec]) => {
    const left = `  --${name}${spec.kind === 'flag' ? '' : ` ${spec.valueName ?? spec.kind.toUpperCase()}`}`;
    const choices = spec.choices === undefined ? '' : ` (${spec.choices.join(' | ')})`;
    const fallback = spec.default === undefined || spec.kind === 'flag' ? '' : ` [default: ${String(spec.default)}]`;
    return [left, `${spec.description}${choices}${fallback}`] as const;
  });
  rows.push(['  --help, -h', 'show this help']);
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  return [`Usage: ${usage}`, '', description, '', 'Options:', ...rows.map(([left, right]) => left.padEnd(width) + right), ''].join('\n');
}

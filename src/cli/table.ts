/**
 * Plain-text tables for the terminal: columns padded to their widest cell, numbers right-aligned.
 * @example
 * textTable([['name', 'loss'], ['none', 'NaN']], ['left', 'right']);
 * // name  loss
 * // ────  ────
 * // none   NaN
 */
export function textTable(rows: readonly (readonly string[])[], align: ReadonlyArray<'left' | 'right'>): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, displayWidth(cell))));
  const line = (row: readonly string[]): string =>
    row.map((cell, i) => pad(cell, widths[i]!, align[i] ?? 'left')).join('  ').trimEnd();
  const [header, ...body] = rows;
  if (header === undefined) return '';
  const rule = widths.map((w) => '─'.repeat(w)).join('  ');
  return [line(header), rule, ...body.map(line)].join('\n');
}

function pad(cell: string, width: number, align: 'left' | 'right'): string {
  const fill = ' '.repeat(Math.max(0, width - displayWidth(cell)));
  return align === 'left' ? cell + fill : fill + cell;
}

/**
 * Characters on screen, ANSI colour codes excluded.
 * @example
 * displayWidth('‖grad‖'); // 6
 */
export function displayWidth(text: string): number {
  return [...stripAnsi(text)].length;
}

/**
 * The text without ANSI escape sequences.
 * @example
 * stripAnsi('\x1b[1mbold\x1b[0m'); // 'bold'
 */
export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
}

/** Rows as aligned text columns; absent values as "-". */
export function printTable<T extends object>(rows: T[], columns: Array<keyof T & string>): string {
  if (rows.length === 0) return '(none)';
  const cells = rows.map((row) => columns.map((c) => String((row as Record<string, unknown>)[c] ?? '-')));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i]?.length ?? 0)));
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(columns), ...cells.map(line)].join('\n');
}

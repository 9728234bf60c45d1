/** One changed leaf between two weight sets: its dotted path, the parent's value and the child's. */
export type ParamChange = { path: string; old: unknown; new: unknown };

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The leaves that differ between `before` and `after`, sorted by path. Objects are walked key by
 * key (a key present on one side only is a change from or to `null`); anything else, arrays
 * included, is compared by value as JSON. Both sides are fully parsed weight sets in practice.
 */
export function diffParams(before: unknown, after: unknown, prefix = ''): ParamChange[] {
  if (isPlainObject(before) && isPlainObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((key) =>
      diffParams(before[key], after[key], prefix === '' ? key : `${prefix}.${key}`),
    );
  }
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  return [{ path: prefix, old: before ?? null, new: after ?? null }];
}

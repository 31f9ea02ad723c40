/** Values in failure messages: short, and printable whatever they hold. */

/** `s`, or its first `max` characters and its length. */
export function clip(s: string, max = 120): string {
  return s.length <= max ? s : `${s.slice(0, max)}…(${s.length} chars)`;
}

/** A value as a message shows it: JSON, cut short. */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(clip(value, 80));
  if (typeof value === 'number') return String(value);
  try {
    return clip(JSON.stringify(value) ?? String(value), 80);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

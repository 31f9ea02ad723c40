/**
 * `value`, or its beginning and `…[truncated N chars]` (N in UTF-16 units) so that the whole is at most `max`
 * characters: truncating again changes nothing. Never cuts a surrogate pair in two. How the processor bounds a
 * text from the data wherever it keeps one: alert texts (src/alerts/), rate group values, analytics values.
 */
export function truncateText(value: string, max: number): string {
  if (value.length <= max) return value;
  let cut = Math.max(0, max - `…[truncated ${value.length} chars]`.length);
  const last = value.charCodeAt(cut - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut--;
  return `${value.slice(0, cut)}…[truncated ${value.length - cut} chars]`;
}

import { tmpdir } from 'node:os';

/**
 * What changes from one run of a documented command to the next without anything of the project changing:
 * the folder it ran in, other temporary folders, the ports of the local servers. Each is replaced by a fixed
 * text, both in what a run printed (before it is pasted) and in what the docs hold (before they are compared).
 *
 * The masks are narrow on purpose: an exact path or URL of this run, never a pattern over numbers, so that a
 * changed count of records, rules or alerts always shows (test/integration/docsOutputs.test.ts mutates every
 * number of every pasted block and expects each change to be seen).
 */
export interface MaskContext {
  /** Folders the commands ran in (their absolute paths and real paths), shown as `<cwd>`. */
  readonly workDirs: readonly string[];
  /** Actual server URLs, and the fixed URL the docs name for each (`http://127.0.0.1:4568`). */
  readonly urls: ReadonlyMap<string, string>;
}

/** Shown in place of the folder a documented command ran in. */
export const CWD_MASK = '<cwd>';
/** Shown in place of another folder under the system's temporary folder: `<tmp>/pinpoint-stream-rates-…`. */
export const TMP_MASK = '<tmp>';

export function mask(text: string, context: MaskContext): string {
  let out = text;
  // Longest first: a work folder may be inside another one.
  for (const dir of [...context.workDirs].sort((a, b) => b.length - a.length)) {
    out = out.split(dir).join(CWD_MASK);
  }
  for (const [actual, shown] of context.urls) out = out.split(actual).join(shown);
  const tmp = tmpdir().replace(/\/+$/, '');
  // A temporary folder a command made for itself (mkdtemp: a name and six random characters).
  out = out.replace(
    new RegExp(`${escapeRegex(tmp)}/([A-Za-z][\\w.-]*-)[A-Za-z0-9]{6}\\b`, 'g'),
    `${TMP_MASK}/$1XXXXXX`,
  );
  return out;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

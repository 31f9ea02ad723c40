import type { RunBlock } from './markdown';
import type { MaskContext } from './mask';
import { type BlockResult, type DocsRun, pastedBody } from './run';

/**
 * The difference between a block as the docs hold it and as a run printed it, both masked; `undefined` when
 * they are the same. The message names the file and line and shows the first lines that differ.
 */
export function difference(
  block: RunBlock,
  generated: readonly string[],
  context: MaskContext,
): string | undefined {
  const pasted = pastedBody(block, context);
  if (pasted.length === generated.length && pasted.every((l, i) => l === generated[i])) return undefined;
  let first = 0;
  while (first < pasted.length && first < generated.length && pasted[first] === generated[first]) first++;
  const at = block.line + 1 + first;
  const show = (lines: readonly string[]) =>
    lines
      .slice(Math.max(0, first - 1), first + 4)
      .map((l) => `    ${l}`)
      .join('\n') || '    (nothing)';
  return (
    `${block.file}:${at}: the pasted output differs from a run of its command (npm run docs rewrites it)\n` +
    `  the docs:\n${show(pasted)}\n  a run:\n${show(generated)}`
  );
}

/** Every block of a run whose docs differ from what its commands printed. */
export function differences(run: DocsRun): string[] {
  return run.results
    .map((r) => difference(r.block, r.generated, run.mask))
    .filter((d): d is string => d !== undefined);
}

/** A file's text with the bodies of its run blocks replaced by what the run printed. */
export function rewriteFile(text: string, results: readonly BlockResult[]): string {
  const lines = text.split('\n');
  for (const { block, generated } of [...results].sort((a, b) => b.block.bodyStart - a.block.bodyStart)) {
    lines.splice(
      block.bodyStart,
      block.bodyEnd - block.bodyStart,
      ...generated.map((l) => (l === '' ? l : `${block.indent}${l}`)),
    );
  }
  return lines.join('\n');
}

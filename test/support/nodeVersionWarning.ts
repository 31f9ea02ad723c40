/** The name the AWS SDK for JavaScript v3 gives its warning about an unsupported Node.js version. */
export const NODE_VERSION_WARNING = 'NodeVersionSupportWarning';

/** Whether a warning, or text printed on stderr, is the SDK's warning about the Node.js version. */
export function isNodeVersionWarning(text: string): boolean {
  return text.includes(NODE_VERSION_WARNING);
}

/**
 * Watches `proc.emitWarning` for the SDK's NodeVersionSupportWarning (it calls `process.emitWarning` when a
 * client is built on a Node.js older than the one its next releases need). The warning still goes out;
 * `assertNone` throws when one was seen, naming the Node.js that ran and how to run the one the project needs.
 */
export function watchNodeVersionWarnings(proc: NodeJS.Process): { seen: string[]; assertNone(): void } {
  const seen: string[] = [];
  const original = proc.emitWarning;
  proc.emitWarning = function emitWarning(this: unknown, warning: string | Error, ...rest: unknown[]) {
    const text = typeof warning === 'string' ? warning : `${warning.name}: ${warning.message}`;
    if (isNodeVersionWarning(text)) seen.push(text);
    return (original as (...args: unknown[]) => void).call(proc, warning, ...rest);
  } as typeof proc.emitWarning;
  return {
    seen,
    assertNone() {
      if (seen.length === 0) return;
      throw new Error(
        `the AWS SDK warned that Node.js ${proc.version} is too old (${NODE_VERSION_WARNING}): tests run on Node.js 22, ` +
          'as Lambda does — `source scripts/node22.sh` first (README.md)',
      );
    },
  };
}

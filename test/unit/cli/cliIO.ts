import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliIO, Output } from '../../../src/cli/io';
import { TEST_PII_KEY } from '../../helpers/runtime';

export interface CapturedIO {
  io: CliIO;
  stdout(): string;
  stderr(): string;
}

/** A CliIO writing to strings, with a test PII key and quiet logs; `env` and the rest can be overridden. */
export function captureIO(overrides: Partial<CliIO> = {}): CapturedIO {
  let out = '';
  let err = '';
  const stdout: Output = {
    write: (s) => {
      out += s;
    },
    isTTY: false,
  };
  const stderr: Output = {
    write: (s) => {
      err += s;
    },
    isTTY: false,
  };
  const io: CliIO = {
    stdout,
    stderr,
    env: { PII_HASH_KEY: TEST_PII_KEY, LOG_LEVEL: 'silent', ...overrides.env },
    cwd: overrides.cwd ?? process.cwd(),
    now: () => Date.UTC(2025, 10, 20, 12),
    ...Object.fromEntries(Object.entries(overrides).filter(([k]) => k !== 'env' && k !== 'cwd')),
  };
  return { io, stdout: () => out, stderr: () => err };
}

export function tempDir(name: string): string {
  return mkdtempSync(join(tmpdir(), `cli-${name}-`));
}

/** Lines of stdout that are not blank. */
export function nonBlankLines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '');
}

import { join } from 'node:path';
import { loadConfig } from '../../src/config';
import type { Logger } from '../../src/logger';
import { createRuntime, type Runtime } from '../../src/runtime';
import { MemoryAlertSink, MemoryArchiveSink } from '../helpers/memorySinks';
import { TEST_PII_KEY } from '../helpers/runtime';
import type { Outputs } from './invariants';

export const FUZZ_RULES_FILE = join(__dirname, 'rules.fuzz.yaml');

/** App metadata of the fuzz runtime: one fixture app is known; `constructor` and friends are not. */
export const FUZZ_APPS: Readonly<Record<string, { name: string; environment: string; owner: string }>> = {
  a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6: { name: 'Example Tunes', environment: 'prod', owner: 'team-tunes' },
  f0e1d2c3b4a5968778695a4b3c2d1e0f: { name: 'FitCoach', environment: 'staging', owner: 'team-fit' },
};

export const FUZZ_ENV: Readonly<Record<string, string>> = {
  RULES_FILE: FUZZ_RULES_FILE,
  APP_METADATA: JSON.stringify(FUZZ_APPS),
  ALERT_SAMPLE_SIZE: '20',
  FIREHOSE_ARCHIVE_RAW: 'true',
};

export interface LogEntry {
  level: string;
  message: string;
  fields?: Record<string, unknown>;
}

/** A logger that keeps every call, whatever the level: what a log line could carry is what it is given. */
export class RecordingLogger implements Logger {
  readonly entries: LogEntry[] = [];
  debug(message: string, fields?: Record<string, unknown>): void {
    this.entries.push({ level: 'debug', message, ...(fields !== undefined && { fields }) });
  }
  info(message: string, fields?: Record<string, unknown>): void {
    this.entries.push({ level: 'info', message, ...(fields !== undefined && { fields }) });
  }
  warn(message: string, fields?: Record<string, unknown>): void {
    this.entries.push({ level: 'warn', message, ...(fields !== undefined && { fields }) });
  }
  error(message: string, fields?: Record<string, unknown>): void {
    this.entries.push({ level: 'error', message, ...(fields !== undefined && { fields }) });
  }
}

/** What a processor answered (or threw) for one batch, and what it wrote meanwhile. */
export interface Processed<R> {
  res?: R;
  error?: unknown;
  outputs: Outputs;
}

export interface FuzzRuntime {
  runtime: Runtime;
  archive: MemoryArchiveSink;
  alerts: MemoryAlertSink;
  logger: RecordingLogger;
  /** Forgets what the sinks and the logger hold, between batches. */
  reset(): void;
  /** Runs one processor call on fresh sinks: its answer or what it threw, and what it wrote. */
  through<R>(call: () => Promise<R>): Promise<Processed<R>>;
}

/** A runtime with in-memory sinks, the fuzz rules and app metadata, and a logger that records every call. */
export async function fuzzRuntime(env: Record<string, string> = {}): Promise<FuzzRuntime> {
  const archive = new MemoryArchiveSink();
  const alerts = new MemoryAlertSink();
  const logger = new RecordingLogger();
  const config = loadConfig({ PII_HASH_KEY: TEST_PII_KEY, LOG_LEVEL: 'debug', ...FUZZ_ENV, ...env });
  const runtime = await createRuntime(config, { sinks: { archive, alerts }, logger });
  const reset = () => {
    archive.objects.clear();
    alerts.alerts.clear();
    alerts.published.length = 0;
    logger.entries.length = 0;
  };
  return {
    runtime,
    archive,
    alerts,
    logger,
    reset,
    async through<R>(call: () => Promise<R>): Promise<Processed<R>> {
      reset();
      let res: R | undefined;
      let error: unknown;
      try {
        res = await call();
      } catch (err) {
        error = err;
      }
      const outputs = {
        objects: [...archive.objects.values()],
        alerts: alerts.published,
        logs: logger.entries,
      };
      return error === undefined ? { res, outputs } : { error, outputs };
    },
  };
}

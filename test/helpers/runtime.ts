import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FirehoseTransformationEvent, KinesisStreamEvent } from 'aws-lambda';
import { loadConfig } from '../../src/config';
import type { Logger } from '../../src/logger';
import { createRuntime, type Runtime } from '../../src/runtime';
import { MemoryAlertSink, MemoryArchiveSink } from './memorySinks';

export const TEST_PII_KEY = 'test-pii-key-0123456789abcdef';

export const silentLogger: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

export interface TestRuntime {
  runtime: Runtime;
  archive: MemoryArchiveSink;
  alerts: MemoryAlertSink;
}

/** A runtime with in-memory sinks and a config from the given environment (plus a test PII key). */
export async function testRuntime(env: Record<string, string> = {}): Promise<TestRuntime> {
  const archive = new MemoryArchiveSink();
  const alerts = new MemoryAlertSink();
  const config = loadConfig({ PII_HASH_KEY: TEST_PII_KEY, LOG_LEVEL: 'silent', ...env });
  const runtime = await createRuntime(config, { sinks: { archive, alerts }, logger: silentLogger });
  return { runtime, archive, alerts };
}

const eventsDir = join(__dirname, '..', '..', 'events');

/** A fresh copy of a bundled Kinesis event (events/kinesis-<name>.json). */
export function kinesisEvent(name: string): KinesisStreamEvent {
  return JSON.parse(readFileSync(join(eventsDir, `kinesis-${name}.json`), 'utf8'));
}

/** A fresh copy of a bundled Firehose event (events/firehose-<name>.json). */
export function firehoseEvent(name: string): FirehoseTransformationEvent {
  return JSON.parse(readFileSync(join(eventsDir, `firehose-${name}.json`), 'utf8'));
}

/** The raw service events of one family (events/raw/<family>.json). */
export function rawEvents(family: string): Array<Record<string, unknown>> {
  return JSON.parse(readFileSync(join(eventsDir, 'raw', `${family}.json`), 'utf8'));
}

export const FAMILIES = ['app', 'campaign', 'journey', 'email', 'sms', 'eum', 'ses'] as const;

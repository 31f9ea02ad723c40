import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Context, FirehoseTransformationResult, KinesisStreamBatchResponse } from 'aws-lambda';
import { EVERY_PROBLEM, EVERY_PROBLEM_RULES } from '../../helpers/everyRulesProblem';
import { lambdaContext, loadHandler } from '../../helpers/loadHandler';
import { firehoseEvent, kinesisEvent, TEST_PII_KEY } from '../../helpers/runtime';

const context = { awsRequestId: 'req-1', getRemainingTimeInMillis: () => 60_000 } as unknown as Context;

function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

describe('handlers with local sinks', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sinks-'));
  });

  it('kinesis handler writes raw, normalized, quarantine and alert files, the batch rollups and analytics rows and the rate counters under LOCAL_SINK_DIR', async () => {
    const handler = loadHandler<unknown, KinesisStreamBatchResponse>('kinesis', {
      LOCAL_SINK_DIR: dir,
      PII_HASH_KEY: TEST_PII_KEY,
      LOG_LEVEL: 'silent',
    });
    const mixed = kinesisEvent('mixed');
    expect(await handler(mixed, context)).toEqual({ batchItemFailures: [] });
    expect(await handler(kinesisEvent('email'), context)).toEqual({ batchItemFailures: [] });

    const all = files(dir).map((f) => f.slice(dir.length + 1));
    const zones = new Set(all.map((f) => f.split('/')[0]));
    expect([...zones].sort()).toEqual([
      'alerts',
      'analytics',
      'normalized',
      'quarantine',
      'rates',
      'raw',
      'rollups',
    ]);
    expect(all.every((f) => !f.endsWith('.tmp'))).toBe(true);

    const rawFile = all.find(
      (f) => f.startsWith('raw/') && f.includes('shardId-000000000009') && f.endsWith('.gz'),
    );
    const rawLines = gunzipSync(readFileSync(join(dir, rawFile as string)))
      .toString()
      .trimEnd()
      .split('\n');
    expect(rawLines).toHaveLength(mixed.Records.length);
    const meta = JSON.parse(readFileSync(join(dir, `${rawFile}.meta.json`), 'utf8'));
    expect(meta).toMatchObject({
      origin: 'kinesis',
      shard: 'shardId-000000000009',
      'record-count': String(mixed.Records.length),
    });

    const alerts = all
      .filter((f) => f.startsWith('alerts/'))
      .flatMap((f) => readFileSync(join(dir, f), 'utf8').trimEnd().split('\n'))
      .map((l) => JSON.parse(l));
    expect(alerts.map((a) => a.rule)).toContain('email-hard-bounce');
  });

  it('firehose handler returns Ok and ProcessingFailed records and quarantines poison with local sinks', async () => {
    const handler = loadHandler<unknown, FirehoseTransformationResult>('firehose', {
      LOCAL_SINK_DIR: dir,
      PII_HASH_KEY: TEST_PII_KEY,
      LOG_LEVEL: 'silent',
    });
    const event = firehoseEvent('mixed');
    const res = await handler(event, context);
    expect(res.records).toHaveLength(event.records.length);
    expect(new Set(res.records.map((r) => r.result))).toEqual(new Set(['Ok', 'ProcessingFailed']));
    expect(files(dir).some((f) => f.includes('/quarantine/'))).toBe(true);
  });

  it.each(['kinesis', 'firehose'] as const)(
    '%s handler processes its batch when the function timeout is Lambda’s default 3 s (= the default margin)',
    async (fn) => {
      const handler = loadHandler<unknown, KinesisStreamBatchResponse & FirehoseTransformationResult>(fn, {
        LOCAL_SINK_DIR: dir,
        PII_HASH_KEY: TEST_PII_KEY,
        LOG_LEVEL: 'silent',
      });
      const res = await handler(
        fn === 'kinesis' ? kinesisEvent('mixed') : firehoseEvent('mixed'),
        lambdaContext(3000),
      );
      if (fn === 'kinesis') expect(res).toEqual({ batchItemFailures: [] });
      else expect(res.records.filter((r) => r.result === 'Ok')).toHaveLength(34);
      expect(files(dir).some((f) => f.includes('/quarantine/'))).toBe(true);
    },
  );

  it('fails at cold start on bad configuration', () => {
    expect(() => loadHandler('kinesis', { PII_MODE: 'nope' })).toThrow(/PII_MODE='nope'/);
  });

  it('fails every invocation when the runtime could not be built (bad rules file)', async () => {
    const rules = join(dir, 'rules.yaml');
    require('node:fs').writeFileSync(
      rules,
      'version: 1\nrules:\n  - name: x\n    match: {family: email}\n    action: alert\n',
    );
    const handler = loadHandler<unknown, KinesisStreamBatchResponse>('kinesis', {
      LOCAL_SINK_DIR: dir,
      RULES_FILE: rules,
      LOG_LEVEL: 'silent',
    });
    await expect(handler(kinesisEvent('email'), context)).rejects.toThrow(/rule 'x'.*severity/s);
    expect(files(dir).filter((f) => !f.endsWith('rules.yaml'))).toEqual([]);
  });

  it.each(['kinesis', 'firehose'] as const)(
    'fails the %s cold start with every problem of a RULES_FILE at once, each with its rule',
    async (fn) => {
      const rules = join(dir, 'rules.yaml');
      require('node:fs').writeFileSync(rules, EVERY_PROBLEM_RULES);
      const handler = loadHandler<unknown, unknown>(fn, {
        LOCAL_SINK_DIR: dir,
        RULES_FILE: rules,
        PII_HASH_KEY: TEST_PII_KEY,
        LOG_LEVEL: 'silent',
      });
      const error = await handler(
        fn === 'kinesis' ? kinesisEvent('email') : firehoseEvent('email'),
        context,
      ).then(
        () => undefined,
        (err: unknown) => err as Error,
      );
      const [first, ...lines] = (error?.message ?? '').split('\n');
      expect(first).toBe(`${rules} is invalid:`);
      expect(lines).toHaveLength(EVERY_PROBLEM.length);
      EVERY_PROBLEM.forEach((problem, i) => {
        const line = (lines[i] ?? '').replace(/^ {2}- /, '');
        if (typeof problem === 'string') expect(line).toBe(problem);
        else expect(line).toMatch(problem);
      });
    },
  );
});

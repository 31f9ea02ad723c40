import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FirehoseTransformationEvent, KinesisStreamEvent } from 'aws-lambda';
import { fixturesCommand } from '../../../src/cli/fixtures';
import { runCli } from '../../../src/cli/main';
import { rawEvents } from '../../helpers/runtime';
import { captureIO, nonBlankLines, tempDir } from './cliIO';

const ROOT = join(__dirname, '..', '..', '..');

describe('fixtures', () => {
  it('wraps raw events exactly as npm run fixtures does for the bundled events', async () => {
    const out = tempDir('fixtures');
    const { io, stdout } = captureIO({ cwd: out });
    const code = await fixturesCommand(
      [join(ROOT, 'events', 'raw', 'email.json')],
      { out: '.', shardId: 'shardId-000000000002' },
      io,
    );
    expect(code).toBe(0);
    expect(nonBlankLines(stdout())).toEqual(['kinesis-email.json', 'firehose-email.json']);
    for (const name of ['kinesis-email.json', 'firehose-email.json']) {
      expect(readFileSync(join(out, name), 'utf8')).toBe(readFileSync(join(ROOT, 'events', name), 'utf8'));
    }
  });

  it('keeps each JSON Lines event byte for byte, and combines inputs with --name', async () => {
    const dir = tempDir('lines');
    const sms = rawEvents('sms').slice(0, 2);
    const lines = sms.map((e) => ` ${JSON.stringify(e)}`);
    writeFileSync(join(dir, 'a.jsonl'), `${lines.join('\n')}\n`);
    writeFileSync(join(dir, 'b.json'), JSON.stringify(rawEvents('eum')[0]));
    const { io } = captureIO({ cwd: dir });
    expect(await fixturesCommand(['a.jsonl', 'b.json'], { out: 'ev', name: 'combined' }, io)).toBe(0);
    const kinesis: KinesisStreamEvent = JSON.parse(
      readFileSync(join(dir, 'ev', 'kinesis-combined.json'), 'utf8'),
    );
    const firehose: FirehoseTransformationEvent = JSON.parse(
      readFileSync(join(dir, 'ev', 'firehose-combined.json'), 'utf8'),
    );
    const texts = kinesis.Records.map((r) => Buffer.from(r.kinesis.data, 'base64').toString());
    expect(texts).toEqual([...lines.map((l) => l.trim()), JSON.stringify(rawEvents('eum')[0])]);
    expect(firehose.records.map((r) => r.data)).toEqual(kinesis.Records.map((r) => r.kinesis.data));
    expect(kinesis.Records[0]?.kinesis.approximateArrivalTimestamp).toBe(
      ((sms[0]?.arrival_timestamp as number) + 150) / 1000,
    );
  });

  it('lists the files written as one JSON object with --json', async () => {
    const out = tempDir('json');
    const { io, stdout } = captureIO({ cwd: out });
    const raw = (f: string) => join(ROOT, 'events', 'raw', `${f}.json`);
    expect(await runCli(['fixtures', '--json', '--out', 'ev', raw('email'), raw('sms')], io)).toBe(0);
    expect(JSON.parse(stdout())).toEqual({
      written: [
        {
          name: 'email',
          events: rawEvents('email').length,
          kinesis: 'ev/kinesis-email.json',
          firehose: 'ev/firehose-email.json',
        },
        {
          name: 'sms',
          events: rawEvents('sms').length,
          kinesis: 'ev/kinesis-sms.json',
          firehose: 'ev/firehose-sms.json',
        },
      ],
    });
    expect(readFileSync(join(out, 'ev', 'kinesis-sms.json'), 'utf8')).toMatch(/"Records"/);
  });

  it('exits 1 with the place of the problem when an input is not an event', async () => {
    const dir = tempDir('bad');
    writeFileSync(join(dir, 'bad.jsonl'), '{"event_type":"x"}\n{"event_type":\n');
    writeFileSync(join(dir, 'scalar.json'), '[{"event_type":"x"}, 3]');
    const run = async (file: string) => {
      const c = captureIO({ cwd: dir });
      return { code: await runCli(['fixtures', '--out', dir, file], c.io), stderr: c.stderr() };
    };
    expect(await run('bad.jsonl')).toEqual({ code: 1, stderr: 'error: bad.jsonl:2: not valid JSON\n' });
    expect(await run('scalar.json')).toEqual({
      code: 1,
      stderr: 'error: scalar.json:1[1]: not a JSON object\n',
    });
    expect((await run('missing.json')).stderr).toBe(
      "error: cannot read 'missing.json': ENOENT: no such file or directory\n",
    );
  });

  it('refuses two inputs that would write the same files', async () => {
    const c = captureIO({ cwd: tempDir('dup') });
    const email = join(ROOT, 'events', 'raw', 'email.json');
    expect(await runCli(['fixtures', email, email], c.io)).toBe(1);
    expect(c.stderr()).toMatch(/two inputs would both write 'email'/);
  });
});

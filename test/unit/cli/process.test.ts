import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import { processKinesisBatch } from '../../../src/batch/kinesis';
import { runCli } from '../../../src/cli/main';
import { processCommand } from '../../../src/cli/process';
import { FAMILIES, kinesisEvent, rawEvents, testRuntime } from '../../helpers/runtime';
import { captureIO, nonBlankLines, tempDir } from './cliIO';

const ROOT = join(__dirname, '..', '..', '..');
const RAW_FILES = FAMILIES.map((f) => join(ROOT, 'events', 'raw', `${f}.json`));
const TOTAL_RAW = FAMILIES.reduce((n, f) => n + rawEvents(f).length, 0);

/** Every file under a folder, by path relative to it. */
function files(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(relative(dir, p), readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

function gzLines(map: Map<string, Buffer>, zone: string): string[] {
  return [...map]
    .filter(([k]) => k.startsWith(`${zone}/`) && k.endsWith('.jsonl.gz'))
    .flatMap(([, v]) => nonBlankLines(gunzipSync(v).toString()));
}

describe('process', () => {
  it('writes normalized records, quarantine and alerts in the archive layout, and sums up', async () => {
    const out = tempDir('out');
    const { io, stdout } = captureIO();
    const files = [...RAW_FILES, join(ROOT, 'events', 'kinesis-mixed.json')];
    expect(await processCommand(files, { out }, io)).toBe(0);
    const written = filesUnder(out);
    const normalized = gzLines(written, 'normalized');
    expect(normalized).toHaveLength(TOTAL_RAW + 34);
    for (const line of normalized) expect(JSON.parse(line)).toMatchObject({ schema_version: 1 });
    expect(gzLines(written, 'quarantine')).toHaveLength(8);
    const keys = [...written.keys()];
    expect(
      keys.some((k) =>
        /^normalized\/dt=\d{4}-\d{2}-\d{2}\/hour=\d{2}\/file\/email\.json\/[0-9a-f]{32}\.jsonl\.gz$/.test(k),
      ),
    ).toBe(true);
    expect(keys.some((k) => /^alerts\/dt=.*\/file\/ses\.json\/[0-9a-f]{32}\.jsonl$/.test(k))).toBe(true);
    const text = stdout();
    expect(text).toMatch(/^input +records +normalized +dropped +poison$/m);
    expect(text).toMatch(/^total +131 +123 +0 +8$/m);
    expect(text).toMatch(/^invalid_base64 +1$/m);
    expect(text).toMatch(/^sms-blocked +high +1 +2$/m);
  });

  it('rewrites the same files with the same content when run again', async () => {
    const out = tempDir('again');
    await processCommand(RAW_FILES, { out }, captureIO().io);
    const first = filesUnder(out);
    await processCommand(RAW_FILES, { out }, captureIO().io);
    expect(filesUnder(out)).toEqual(first);
  });

  it('gives the normalized records the Kinesis handler gave, from its raw archive object', async () => {
    const { runtime, archive } = await testRuntime();
    await processKinesisBatch(kinesisEvent('mixed'), runtime);
    const [raw] = archive.zone('raw');
    const dir = tempDir('archive');
    const file = join(dir, 'raw.jsonl.gz');
    writeFileSync(file, gzipSync((raw?.lines ?? []).join('')));
    const { io, stdout } = captureIO();
    expect(await processCommand([file], { stdout: true }, io)).toBe(0);
    expect(nonBlankLines(stdout()).sort()).toEqual(
      archive
        .lines('normalized')
        .map((l) => l.trimEnd())
        .sort(),
    );
  });

  it('prints only normalized JSON Lines with --stdout, writes no file, and sums up on stderr', async () => {
    const cwd = tempDir('stdout');
    const { io, stdout, stderr } = captureIO({ cwd });
    expect(await processCommand([join(ROOT, 'events', 'kinesis-mixed.json')], { stdout: true }, io)).toBe(0);
    const lines = nonBlankLines(stdout());
    expect(lines).toHaveLength(34);
    for (const line of lines) expect(JSON.parse(line)).toMatchObject({ schema_version: 1 });
    expect(stderr()).toMatch(/8 poison records and \d+ alerts not written \(--stdout\)/);
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('reads stdin, gzip or not, and concatenated objects', async () => {
    const events = rawEvents('email');
    const concatenated = gzipSync(events.map((e) => JSON.stringify(e)).join(''));
    const { io, stdout } = captureIO({ stdin: Readable.from([concatenated]) });
    expect(await processCommand(['-'], { stdout: true, json: true }, io)).toBe(0);
    expect(nonBlankLines(stdout())).toHaveLength(events.length);
  });

  it('counts poison as an outcome (exit 0), and fails with --strict (exit 1)', async () => {
    const file = join(ROOT, 'events', 'firehose-mixed.json');
    const out = tempDir('strict');
    expect(await processCommand([file], { out }, captureIO().io)).toBe(0);
    const strict = captureIO();
    expect(await processCommand([file], { out, strict: true }, strict.io)).toBe(1);
    expect(strict.stderr()).toMatch(
      /^error: 8 poison records \(empty_record 1, invalid_base64 1, .*\) and --strict\n$/,
    );
  });

  it('applies the configured rules: drops, tags, and rules over records already normalized', async () => {
    const env = { RULES_FILE: join(ROOT, 'rules.example.yaml') };
    const { io, stdout, stderr } = captureIO({ env });
    await processCommand([join(ROOT, 'events', 'raw', 'app.json')], { stdout: true, json: true }, io);
    const lines = nonBlankLines(stdout());
    expect(JSON.parse(stderr())).toMatchObject({ records: 14, normalized: 13, dropped: 1 });
    expect(lines).toHaveLength(13);

    // The normalized output read back: the rules run again; nothing else changes.
    const dir = tempDir('normalized');
    const untagged = lines.map((l) => {
      const { tags: _t, ...rest } = JSON.parse(l);
      return JSON.stringify(rest);
    });
    writeFileSync(join(dir, 'n.jsonl'), `${untagged.join('\n')}\n`);
    const again = captureIO({ env });
    await processCommand([join(dir, 'n.jsonl')], { stdout: true }, again.io);
    expect(nonBlankLines(again.stdout())).toEqual(lines);
  });

  it('writes the summary as JSON with --json', async () => {
    const { io, stdout } = captureIO();
    await processCommand([join(ROOT, 'events', 'raw', 'sms.json')], { out: tempDir('json'), json: true }, io);
    expect(JSON.parse(stdout())).toMatchObject({
      records: 10,
      normalized: 10,
      poison: 0,
      inputs: [{ input: expect.stringMatching(/sms\.json$/), records: 10 }],
      alerts: expect.arrayContaining([{ rule: 'sms-blocked', severity: 'high', alerts: 1, records: 2 }]),
    });
  });

  it('writes many small records into few objects: batches end by bytes or --batch-size', async () => {
    const [sms] = rawEvents('sms');
    const dir = tempDir('many');
    const file = join(dir, 'many.jsonl');
    // 25,000 events of one hour, ~1 KB each: 24 MB, in 50 batches of 500 records before.
    const lines = Array.from({ length: 25_000 }, (_, i) =>
      JSON.stringify({ ...sms, client: { client_id: `client-${i}` } }),
    );
    writeFileSync(file, `${lines.join('\n')}\n`);
    const bytes = lines.reduce((n, l) => n + l.length, 0);
    const normalizedObjects = async (opts: { batchSize?: number; batchBytes?: number }) => {
      const out = tempDir('many-out');
      const { io, stdout } = captureIO();
      expect(await processCommand([file], { out, json: true, ...opts }, io)).toBe(0);
      expect(JSON.parse(stdout())).toMatchObject({ records: 25_000, normalized: 25_000 });
      const keys = [...filesUnder(out).keys()];
      expect(gzLines(filesUnder(out), 'normalized')).toHaveLength(25_000);
      return keys.filter((k) => k.startsWith('normalized/') && k.endsWith('.jsonl.gz')).length;
    };
    // By default a batch ends at 8 MiB of data (or 10,000 records).
    expect(await normalizedObjects({})).toBe(Math.ceil(bytes / (8 * 1024 * 1024)));
    // --batch-size caps the records of a batch, whichever comes first.
    expect(await normalizedObjects({ batchSize: 20_000, batchBytes: 1024 * 1024 * 1024 })).toBe(2);
  }, 60_000);

  it('prints no personal data in the summary, even when records keep it', async () => {
    const { io, stdout, stderr } = captureIO({ env: { PII_MODE: 'keep' } });
    await processCommand(RAW_FILES, { stdout: true }, io);
    expect(stdout()).toMatch(/@example\.com/); // the records do keep it…
    const summary = stderr();
    expect(summary).not.toMatch(/@|\+\d{7,}|\b\d{1,3}(\.\d{1,3}){3}\b/); // …the summary does not
  });
});

describe('process exit codes (through runCli)', () => {
  const run = async (argv: string[], env: Record<string, string> = {}) => {
    const c = captureIO({ env, cwd: tempDir('codes') });
    const code = await runCli(argv, c.io);
    return { code, stdout: c.stdout(), stderr: c.stderr() };
  };

  it('exits 1 with one line when an input file is missing', async () => {
    const r = await run(['process', 'nope.json']);
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr: "error: cannot read 'nope.json': ENOENT: no such file or directory\n",
    });
  });

  it('exits 1 with one line when a gzip file is corrupt', async () => {
    const dir = tempDir('corrupt');
    const gz = gzipSync(JSON.stringify(rawEvents('email')));
    writeFileSync(join(dir, 'bad.gz'), gz.subarray(0, gz.length - 12));
    const r = await run(['process', '--stdout', join(dir, 'bad.gz')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: .*bad\.gz: not a valid gzip file \(.*\)\n$/m);
  });

  it('exits 2 with one line when the rules file is invalid', async () => {
    const dir = tempDir('rules');
    writeFileSync(
      join(dir, 'rules.yaml'),
      'version: 1\nrules:\n  - name: x\n    match: { famly: email }\n    action: drop\n',
    );
    const r = await run(['process', join(ROOT, 'events', 'raw', 'email.json')], {
      RULES_FILE: join(dir, 'rules.yaml'),
    });
    expect(r.code).toBe(2);
    expect(nonBlankLines(r.stderr)).toEqual([
      expect.stringMatching(
        /^error: .*rules\.yaml is invalid: rule 'x' \(rules\[0\]\): match\.famly: unknown key/,
      ),
    ]);
  });

  it('exits 2 on a bad setting', async () => {
    const r = await run(['process', join(ROOT, 'events', 'raw', 'email.json')], { PII_MODE: 'scramble' });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("error: PII_MODE='scramble' is not valid; accepted values: hash, redact, keep\n");
  });

  it('exits 3 when the output cannot be written', async () => {
    const dir = tempDir('sink');
    writeFileSync(join(dir, 'taken'), 'a file, not a folder');
    const r = await run(['process', '--out', join(dir, 'taken'), join(ROOT, 'events', 'raw', 'email.json')]);
    expect(r.code).toBe(3);
    expect(nonBlankLines(r.stderr)).toEqual([
      expect.stringMatching(/^error: could not write the output of .*email\.json: /),
    ]);
  });

  it('exits 1 on bad usage', async () => {
    expect((await run(['process'])).code).toBe(1);
    expect((await run(['process', '--batch-size', '0', 'x'])).stderr).toMatch(/expected an integer from 1/);
    expect((await run(['process', '--max-record-size', '8XB', 'x'])).stderr).toMatch(/expected a size/);
    expect((await run(['process', '--max-input-size', '0', 'x'])).stderr).toMatch(/expected at least 1 byte/);
    expect((await run(['process', '--max-inflate-ratio', '0.5', 'x'])).stderr).toMatch(/from 1 up/);
  });
});

describe('process over a cap (through runCli)', () => {
  const MiB = 1024 * 1024;
  const run = async (argv: string[]) => {
    const cwd = tempDir('caps');
    const c = captureIO({ cwd });
    const started = performance.now();
    const code = await runCli(['process', '--out', 'out', ...argv], c.io);
    return {
      code,
      stdout: c.stdout(),
      stderr: c.stderr(),
      ms: performance.now() - started,
      out: join(cwd, 'out'),
    };
  };

  it('exits 1 at once on a gzip bomb, naming the input and the cap, having written nothing', async () => {
    const dir = tempDir('bomb');
    // 64 MiB of `{},` in a JSON array: 21 million records from 65 KB.
    const bomb = join(dir, 'bomb.json.gz');
    writeFileSync(
      bomb,
      gzipSync(Buffer.concat([Buffer.from('['), Buffer.alloc(64 * MiB, '{},'), Buffer.from('{}]')])),
    );
    const r = await run([bomb]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^error: .*bomb\.json\.gz: gzip data inflating more than 250 times its size \(.*\), the cap that stops decompression bombs; --max-inflate-ratio raises it\n$/,
    );
    expect(r.ms).toBeLessThan(5000);
    expect(filesUnder(r.out).size).toBe(0);
  });

  it('exits 1 on a record over --max-record-size, naming the line, whatever the layout', async () => {
    const dir = tempDir('record');
    const big = `{"event_type":"${'x'.repeat(4096)}"}`;
    const inputs: Record<string, string> = {
      'lines.jsonl': `{"event_type":"a"}\n${big}\n`,
      'concatenated.json': `{"event_type":"a"}${big}`,
      'array.json': `[\n{"event_type":"a"},\n${big}\n]`,
      'garbage.txt': `{"event_type":"a"}\n${'x'.repeat(5000)}\n`,
    };
    for (const [name, text] of Object.entries(inputs)) writeFileSync(join(dir, name), text);
    const expected: Record<string, RegExp> = {
      'lines.jsonl': /lines\.jsonl: line 2: a JSON value is longer than 4 KiB/,
      'concatenated.json': /concatenated\.json: line 1: a JSON value is longer than 4 KiB/,
      'array.json':
        /array\.json: line 3: element 1 of the JSON array starting on line 1 is longer than 4 KiB/,
      'garbage.txt': /garbage\.txt: line 2: a line is longer than 4 KiB/,
    };
    for (const name of Object.keys(inputs)) {
      const r = await run(['--max-record-size', '4KiB', join(dir, name)]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(expected[name] as RegExp);
      expect(r.stderr).toMatch(/the cap on one record .*--max-record-size raises it\n$/);
      // The default cap, 8 MiB, reads them all.
      expect((await run([join(dir, name)])).code).toBe(0);
    }
  });

  it('exits 1 on an input over --max-input-size, before reading a plain file', async () => {
    const r = await run(['--max-input-size', '1KiB', join(ROOT, 'events', 'raw', 'email.json')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^error: .*email\.json: more than 1 KiB, the cap on one input; --max-input-size raises it\n$/,
    );
    const gz = join(tempDir('gz'), 'email.json.gz');
    writeFileSync(gz, gzipSync(readFileSync(join(ROOT, 'events', 'raw', 'email.json'))));
    expect((await run(['--max-input-size', '1KiB', gz])).stderr).toMatch(/more than 1 KiB once decompressed/);
  });
});

function filesUnder(dir: string): Map<string, Buffer> {
  mkdirSync(dir, { recursive: true });
  return files(dir);
}

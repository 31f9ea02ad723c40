import crypto from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Checkpoint } from '../../../src/cli/Checkpoint';
import { LocalArchiveSink } from '../../../src/sinks/local/LocalArchiveSink';
import { temporaryPath, writeAtomically } from '../../../src/sinks/local/writeAtomically';

const temp = (name: string) => mkdtempSync(join(tmpdir(), `atomic-${name}-`));

/** A file outside the output folder that a planted symlink points to, and one that does not exist yet. */
function victims(): { existing: string; missing: string } {
  const outside = temp('outside');
  const existing = join(outside, 'victim');
  writeFileSync(existing, 'untouched');
  return { existing, missing: join(outside, 'created') };
}

/** The outside files are as they were: the write went nowhere outside the folder. */
function expectUntouched(v: { existing: string; missing: string }): void {
  expect(readFileSync(v.existing, 'utf8')).toBe('untouched');
  expect(existsSync(v.missing)).toBe(false);
}

/** `path` is a regular file holding `data`, and no temporary file is left beside it. */
function expectWritten(path: string, data: string): void {
  expect(lstatSync(path).isFile()).toBe(true);
  expect(readFileSync(path, 'utf8')).toBe(data);
  const dir = join(path, '..');
  expect(readdirSync(dir).filter((n) => n.endsWith('.tmp') && lstatSync(join(dir, n)).isFile())).toEqual([]);
}

afterEach(() => jest.restoreAllMocks());

describe('writeAtomically', () => {
  it('never writes through a symlink planted at the name a process id predicts', async () => {
    for (const kind of ['existing', 'missing'] as const) {
      const v = victims();
      const path = join(temp('pid'), 'object.jsonl.gz');
      // The name the old code used: `<path>.<pid>.tmp`.
      symlinkSync(v[kind], `${path}.${process.pid}.tmp`);
      await writeAtomically(path, 'data');
      expectUntouched(v);
      expectWritten(path, 'data');
    }
  });

  it('never writes through a symlink planted at the very name it draws: it draws another', async () => {
    for (const kind of ['existing', 'missing'] as const) {
      const v = victims();
      const path = join(temp('drawn'), 'object.jsonl.gz');
      // The attacker guesses the random part: the first name drawn is taken by a symlink.
      const guessed = Buffer.alloc(16, 7);
      jest.spyOn(crypto, 'randomBytes').mockImplementationOnce(() => guessed);
      const first = temporaryPath(path);
      symlinkSync(v[kind], first);
      jest.spyOn(crypto, 'randomBytes').mockImplementationOnce(() => guessed);
      await writeAtomically(path, 'data');
      expectUntouched(v);
      expectWritten(path, 'data');
      expect(lstatSync(first).isSymbolicLink()).toBe(true);
    }
  });

  it('names temporary files unpredictably, in the folder of the target', () => {
    const a = temporaryPath('/out/x/object.jsonl.gz');
    const b = temporaryPath('/out/x/object.jsonl.gz');
    expect(a).not.toBe(b);
    expect(a.startsWith('/out/x/')).toBe(true);
    expect(a).not.toContain(String(process.pid));
  });

  it('keeps the local archive sink inside its folder', async () => {
    const v = victims();
    const dir = temp('sink');
    const key = 'normalized/dt=2025-11-20/hour=12/file/x/abc.jsonl.gz';
    const path = join(dir, key);
    await new LocalArchiveSink(dir).put({ zone: 'normalized', key, lines: ['{"a":1}\n'], metadata: {} });
    symlinkSync(v.existing, `${path}.${process.pid}.tmp`);
    symlinkSync(v.missing, `${path}.meta.json.${process.pid}.tmp`);
    await new LocalArchiveSink(dir).put({
      zone: 'normalized',
      key,
      lines: ['{"a":2}\n'],
      metadata: { m: '1' },
    });
    expectUntouched(v);
    expect(lstatSync(path).isFile()).toBe(true);
    expect(JSON.parse(readFileSync(`${path}.meta.json`, 'utf8'))).toEqual({ m: '1' });
  });
});

describe('the replay checkpoint', () => {
  it('never writes through a symlink planted at its temporary name', async () => {
    for (const kind of ['existing', 'missing'] as const) {
      const v = victims();
      const path = join(temp('cp'), 'cp.json');
      symlinkSync(v[kind], `${path}.${process.pid}.tmp`);
      const cp = await Checkpoint.open(path, { bucket: 'b', prefix: '' }, false);
      await cp.add('k1');
      expectUntouched(v);
      expectWritten(path, '{"checkpoint":1,"bucket":"b","prefix":""}\n{"done":"k1"}\n');
    }
  });
});

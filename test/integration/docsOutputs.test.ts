import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { difference } from '../../scripts/docs/compare';
import { blocksOf, type RunBlock } from '../../scripts/docs/markdown';
import { type DocsRun, runBlocks, runDocs } from '../../scripts/docs/run';

/**
 * The outputs pasted into README.md and docs/*.md are what their commands print (issue #22): each marked block
 * (`<!-- docs:run … -->`, scripts/docs/markdown.ts) is run as `npm run docs` runs it — a fresh working copy,
 * fixed inputs, `pinpoint-stream` in this process, the replay examples against s3rver — and compared with the
 * docs, the folder it ran in and the servers' ports masked. `npm run docs` rewrites the blocks that differ.
 */

jest.setTimeout(240_000);

const ROOT = join(__dirname, '..', '..');
const BLOCKS = runBlocks();
let run: DocsRun;

beforeAll(async () => {
  run = await runDocs(BLOCKS);
});

const resultOf = (block: RunBlock) => {
  const result = run.results.find((r) => r.block === block);
  if (result === undefined) throw new Error(`no result for ${block.file}:${block.line}`);
  return result;
};

describe('the pasted outputs of the docs', () => {
  it.each(BLOCKS.map((b) => [`${b.file}:${b.line}`, b] as const))(
    '%s is what its commands print',
    (_name, block) => {
      expect(difference(block, resultOf(block).generated, run.mask)).toBeUndefined();
    },
  );

  it('fail when a pasted number is changed: 33 rules in the rules check of docs/cli.md', () => {
    const text = readFileSync(join(ROOT, 'docs', 'cli.md'), 'utf8');
    expect(text).toContain('rules.example.yaml: valid, 33 rules (21 alert, 1 drop, 1 tag, 10 rate)');
    const changed = text.replace('valid, 33 rules', 'valid, 34 rules');
    const block = blocksOf('docs/cli.md', changed).find(
      (b): b is RunBlock => b.kind === 'run' && b.body.some((l) => l.includes('valid, 34 rules')),
    ) as RunBlock;
    const original = BLOCKS.find((b) => b.file === block.file && b.line === block.line) as RunBlock;
    const found = difference(block, resultOf(original).generated, run.mask);
    expect(found).toMatch(/^docs\/cli\.md:\d+: the pasted output differs from a run of its command/);
    expect(found).toContain('valid, 34 rules');
    expect(found).toContain('valid, 33 rules');
  });

  it('see every number: each number of each pasted block, changed alone, makes the block differ', () => {
    // The masks replace this run's folders and server URLs, nothing that looks like a count: a changed count of
    // records, rules or alerts can never be masked away.
    let changes = 0;
    for (const { block, generated } of run.results) {
      expect(difference(block, generated, run.mask)).toBeUndefined();
      block.body.forEach((line, i) => {
        for (const m of line.matchAll(/\d+/g)) {
          const at = m.index ?? 0;
          const mutated = `${line.slice(0, at)}${Number(m[0]) + 1}${line.slice(at + m[0].length)}`;
          const body = [...block.body];
          body[i] = mutated;
          const seen = difference({ ...block, body }, generated, run.mask) !== undefined;
          if (!seen) throw new Error(`${block.file}:${block.line + 1 + i}: '${m[0]}' changed is not seen`);
          changes++;
        }
      });
    }
    expect(changes).toBeGreaterThan(1000);
  });

  it('mask what changes from run to run: no folder of this run, no server port is pasted', () => {
    const pasted = run.results.flatMap((r) => r.generated).join('\n');
    for (const dir of run.mask.workDirs) expect(pasted).not.toContain(dir);
    for (const url of run.mask.urls.keys()) expect(pasted).not.toContain(url);
    expect(pasted).not.toContain(`${tmpdir()}/docs-run-`);
    expect(pasted).toContain('<cwd>/bad-rules.yaml');
    expect(pasted).toContain('AWS_ENDPOINT_URL_S3=http://127.0.0.1:4568');
  });

  it('show a newcomer what the README promises: npm run local, then process into out/', () => {
    const readme = run.results.filter((r) => r.block.file === 'README.md').map((r) => r.generated.join('\n'));
    const local = readme.find((t) => t.startsWith('$ npm run local')) as string;
    expect(local).toMatch(/^events\/firehose-mixed\.json +42 +Ok 34, ProcessingFailed 8 \(quarantined: /m);
    expect(local).toMatch(/^Output under \.local\/: 8 zones written by this run/m);
    const process = readme.find((t) => t.startsWith('$ npx pinpoint-stream process')) as string;
    expect(process).toMatch(/^\$ npx pinpoint-stream process .* --out out$/m);
    expect(process).toMatch(/^Output: out\/ \(/m);
  });
});

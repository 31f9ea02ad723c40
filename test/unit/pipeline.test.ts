import { createHash } from 'node:crypto';
import { eventIdOf, runPipeline } from '../../src/pipeline';
import { rawEvents, testRuntime } from '../helpers/runtime';

const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');

describe('event ids', () => {
  it('are the first 128 bits of the SHA-256 of the JSON text, from the text or its bytes alike', () => {
    const text = '{"event_type":"_session.start","note":"Jöhn 😀"}';
    const expected = createHash('sha256').update(text).digest('hex').slice(0, 32);
    expect(eventIdOf(text)).toBe(expected);
    expect(eventIdOf(Buffer.from(text))).toBe(expected);
  });

  it('do not count a BOM or surrounding whitespace', async () => {
    const { runtime } = await testRuntime();
    const json = JSON.stringify(rawEvents('email')[0]);
    const variants = [json, `\uFEFF${json}`, `  ${json}\n`, `\uFEFF\t${json}\r\n`];
    const processed = runPipeline(
      variants.map((v, i) => ({ id: String(i), data: b64(v), ingestMs: 1_700_000_000_000 })),
      runtime.settings,
    );
    const ids = processed.map((p) =>
      p.outcome.kind === 'ok' ? p.outcome.record.event_id : p.outcome.reason,
    );
    expect(ids).toEqual(variants.map(() => eventIdOf(json)));
  });
});

import { createHash } from 'node:crypto';
import { eventIdOf, lineText, recordOf, runPipeline } from '../../src/pipeline';
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
      { keepRecords: true },
    );
    const ids = processed.map((p) =>
      p.outcome.kind === 'ok' ? recordOf(p.outcome).event_id : p.outcome.reason,
    );
    expect(ids).toEqual(variants.map(() => eventIdOf(json)));
  });
});

describe('outcomes', () => {
  const inputsOf = (family: string) =>
    rawEvents(family).map((e, i) => ({
      id: String(i),
      data: b64(JSON.stringify(e)),
      ingestMs: 1_764_000_000_000,
    }));

  it('keep the record only for alert matches unless asked, and the keys of every record', async () => {
    const { runtime } = await testRuntime();
    const inputs = inputsOf('email');
    const lean = runPipeline(inputs, runtime.settings);
    const full = runPipeline(inputs, runtime.settings, { keepRecords: true });
    let alerting = 0;
    lean.forEach((p, i) => {
      const o = p.outcome;
      const f = full[i]?.outcome;
      if (o.kind !== 'ok' || f?.kind !== 'ok') throw new Error('expected normalized records');
      const r = recordOf(f);
      expect(o.keys).toEqual({
        source: r.source,
        family: r.family,
        outcome: r.outcome,
        dt: r.dt,
        hour: r.hour,
      });
      expect(o.line).toBe(`${JSON.stringify(r)}\n`);
      if (o.alerts.length > 0) {
        alerting++;
        expect(recordOf(o)).toEqual(r);
      } else {
        expect(o.record).toBeUndefined();
        expect(() => recordOf(o)).toThrow(/keepRecords/);
      }
    });
    expect(alerting).toBeGreaterThan(0); // hard bounces and complaints match the default rules
    expect(alerting).toBeLessThan(lean.length);
  });

  it('write the line in base64 when asked, the same line as the text one', async () => {
    const { runtime } = await testRuntime();
    const inputs = inputsOf('sms');
    const text = runPipeline(inputs, runtime.settings);
    const base64 = runPipeline(inputs, runtime.settings, { encoding: 'base64' });
    base64.forEach((p, i) => {
      const o = p.outcome;
      const t = text[i]?.outcome;
      if (o.kind !== 'ok' || t?.kind !== 'ok') throw new Error('expected normalized records');
      expect(o.encoding).toBe('base64');
      expect(t.encoding).toBe('text');
      expect(Buffer.from(o.line, 'base64').toString('utf8')).toBe(t.line);
      expect(lineText(o)).toBe(t.line);
      expect(lineText(t)).toBe(t.line);
    });
  });
});

describe('app metadata', () => {
  const event = (appId: string) => ({
    id: appId,
    data: b64(JSON.stringify({ event_type: '_session.start', application: { app_id: appId } })),
    ingestMs: 1_764_000_000_000,
  });

  it('comes from the configured entry of the app id, and from nothing else', async () => {
    const { runtime } = await testRuntime({
      APP_METADATA: JSON.stringify({ a1: { name: 'Shop', environment: 'prod', owner: 'team-a' } }),
    });
    const ids = ['a1', 'constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf', 'unknown'];
    const processed = runPipeline(ids.map(event), runtime.settings, { keepRecords: true });
    const apps = processed.map((p) => {
      if (p.outcome.kind !== 'ok') throw new Error(`expected a record: ${p.outcome.detail}`);
      const r = recordOf(p.outcome);
      return [r.app_id, r.app_name, r.app_environment, r.app_owner];
    });
    expect(apps).toEqual([
      ['a1', 'Shop', 'prod', 'team-a'],
      ...ids.slice(1).map((id) => [id, undefined, undefined, undefined]),
    ]);
  });
});

describe('hostile nesting', () => {
  it('quarantines 5,000 levels of nesting as too_deeply_nested, wherever they are', async () => {
    const { runtime } = await testRuntime();
    const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
    const texts = [
      `{"event_type":"_custom","attributes":{"x":${deep}}}`,
      `{"eventType":"TEXT_SENT","context":{"x":${deep}}}`,
      `{"event_type":"_custom","x":${deep}}`,
    ];
    const processed = runPipeline(
      texts.map((t, i) => ({ id: String(i), data: b64(t), ingestMs: 1_764_000_000_000 })),
      runtime.settings,
    );
    for (const p of processed) {
      expect(p.outcome).toMatchObject({ kind: 'poison', reason: 'too_deeply_nested' });
    }
  });
});

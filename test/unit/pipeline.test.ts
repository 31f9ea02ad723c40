import fc from 'fast-check';
import { eventIdOf } from '../../src/eventId';
import { lineText, runPipeline } from '../../src/pipeline';
import { assertConformsToGlue, glueTable } from '../helpers/glue';
import { FAMILIES, rawEvents, testRuntime } from '../helpers/runtime';
import { referenceEventId, xxh64 } from '../helpers/xxh64';

const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');

describe('event ids', () => {
  const reference = referenceEventId;

  it("the reference XXH64 gives the specification's published values", () => {
    expect(xxh64(new Uint8Array(), 0n).toString(16)).toBe('ef46db3751d8e999');
    expect(xxh64(Buffer.from('a'), 0n).toString(16)).toBe('d24ec4f1a98c6e5b');
    expect(xxh64(Buffer.from('abc'), 0n).toString(16)).toBe('44bc2cf5ad770999');
  });

  it('are XXH64 of the bytes under two fixed seeds, 32 hex characters, from the text or its bytes alike', () => {
    const text = '{"event_type":"_session.start","note":"Jöhn 😀"}';
    expect(eventIdOf(text)).toMatch(/^[0-9a-f]{32}$/);
    expect(eventIdOf(text)).toBe(reference(Buffer.from(text)));
    expect(eventIdOf(Buffer.from(text))).toBe(eventIdOf(text));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), (bytes) => {
        expect(eventIdOf(bytes)).toBe(reference(bytes));
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 500 }), (s) => {
        expect(eventIdOf(s)).toBe(eventIdOf(Buffer.from(s, 'utf8')));
      }),
    );
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
      p.outcome.kind === 'ok' ? p.outcome.record.event_id : p.outcome.reason,
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
      const r = f.record;
      expect(o.keys).toEqual({
        source: r.source,
        family: r.family,
        ...(r.channel !== undefined && { channel: r.channel }),
        outcome: r.outcome,
        dt: r.dt,
        hour: r.hour,
      });
      expect(o.line).toBe(`${JSON.stringify(r)}\n`);
      if (o.alert !== undefined) {
        alerting++;
        expect(o.alert.record).toEqual(r);
        expect(o.alert.rules.length).toBeGreaterThan(0);
      } else {
        expect(Object.keys(o)).not.toContain('alert');
      }
      // Without keepRecords the record is not held, alerting or not: only the alert match holds it.
      expect(Object.keys(o)).not.toContain('record');
    });
    expect(alerting).toBeGreaterThan(0); // hard bounces and complaints match the default rules
    expect(alerting).toBeLessThan(lean.length);
  });

  it('hand each normalized record to onRecord, dropped ones too, protected, in order, and nothing else', async () => {
    const { runtime } = await testRuntime({ RULES_FILE: '' });
    const settings = {
      ...runtime.settings,
      rules: [
        ...runtime.settings.rules,
        {
          name: 'drop-opens',
          action: 'drop' as const,
          matches: (r: { outcome: string }) => r.outcome === 'opened',
        },
      ],
    };
    const inputs = [
      ...inputsOf('email'),
      { id: 'poison', data: b64('not json'), ingestMs: 1_764_000_000_000 },
    ];
    const seen: string[] = [];
    const lines: string[] = [];
    const processed = runPipeline(inputs, settings, {
      onRecord: (r) => {
        seen.push(r.event_id);
        lines.push(JSON.stringify(r));
      },
      keepRecords: true,
    });
    const normalized = processed.flatMap((p) => (p.outcome.kind === 'ok' ? [p.outcome] : []));
    expect(seen).toEqual(normalized.map((o) => o.record.event_id));
    expect(normalized.some((o) => o.dropped)).toBe(true);
    // After protection: what is handed over is what is archived, without an address.
    expect(lines).toEqual(normalized.map((o) => o.line.trimEnd()));
    expect(lines.join('\n')).not.toMatch(/[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/);
    let asked = 0;
    const cut: string[] = [];
    const prefix = runPipeline(inputs, settings, {
      onRecord: (r) => cut.push(r.event_id),
      shouldStop: () => ++asked >= 3,
    });
    expect(prefix).toHaveLength(3);
    expect(cut).toEqual(seen.slice(0, 3));
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
      const r = p.outcome.record;
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

describe('Glue conformance', () => {
  const archive = glueTable('messaging_events_archive');
  const firehose = glueTable('messaging_events');

  it('reads the column types from infra/glue.yml', () => {
    expect(archive.columns.length).toBeGreaterThan(50);
    expect(archive.columns).toContainEqual({ Name: 'message_parts', Type: 'int' });
    expect(archive.columns).toContainEqual({ Name: 'delivery_latency_ms', Type: 'bigint' });
    expect(firehose.partitions.map((p) => p.Name)).toEqual(['source', 'family', 'dt', 'hour']);
    expect(() => assertConformsToGlue({ message_parts: 1.5 }, archive)).toThrow(/message_parts.*int/);
    expect(() => assertConformsToGlue({ delivery_latency_ms: 1e21 }, archive)).toThrow(/bigint/);
    expect(() => assertConformsToGlue({ price_usd: Number.POSITIVE_INFINITY }, archive)).toThrow(/null/);
    expect(() => assertConformsToGlue({ event_time: '2025-01-01T00:00:00.999.25Z' }, archive)).toThrow(
      /ISO-8601/,
    );
    expect(() => assertConformsToGlue({ metrics: { a: 'x' } }, archive)).toThrow(/metrics/);
    expect(() => assertConformsToGlue({ no_such_field: 1 }, archive)).toThrow(/no such column/);
  });

  it.each(FAMILIES)('holds for every normalized %s sample, in both tables', async (family) => {
    const { runtime } = await testRuntime();
    const processed = runPipeline(
      rawEvents(family).map((e, i) => ({
        id: String(i),
        data: b64(JSON.stringify(e)),
        ingestMs: 1_764_000_000_000,
      })),
      runtime.settings,
      { keepRecords: true },
    );
    for (const p of processed) {
      if (p.outcome.kind !== 'ok') throw new Error(`expected a record: ${p.outcome.detail}`);
      assertConformsToGlue(lineText(p.outcome), archive);
      assertConformsToGlue(p.outcome.record, firehose);
    }
  });

  /** JSON number literals that break a column type: fractions, beyond int32, beyond 2^53, beyond double. */
  const numberLiteral = fc.oneof(
    fc.integer().map(String),
    fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => JSON.stringify(n)),
    fc.constantFrom(
      '1.5',
      '0.5',
      '-0.5',
      '-0',
      '2147483647',
      '2147483648',
      '-2147483649',
      '9007199254740991',
      '9007199254740993',
      '1e21',
      '1e300',
      '1.7976931348623157e308',
      '1e400',
      '-1e400',
      '1e-320',
      '1700000000000.25',
      '1700000000.5',
    ),
  );
  // A literal as itself, or inside a string: attributes carry numbers as strings.
  const numberValue = fc.oneof(
    numberLiteral,
    numberLiteral.map((n) => JSON.stringify(n)),
  );

  /** A sample event whose numeric fields (at these paths) are replaced by the generated literals. */
  function withNumbers(event: Record<string, unknown>, paths: string[][], literals: string[]): string {
    const copy = structuredClone(event);
    paths.forEach((path, i) => {
      let at = copy as Record<string, unknown>;
      for (const key of path.slice(0, -1)) {
        at[key] ??= {};
        at = at[key] as Record<string, unknown>;
      }
      at[path[path.length - 1] as string] = `@@${i}@@`;
    });
    return JSON.stringify(copy).replace(/"@@(\d+)@@"/g, (_m, i: string) => literals[Number(i)] as string);
  }

  const cases: Array<[string, Record<string, unknown>, string[][]]> = [
    [
      'End User Messaging',
      rawEvents('eum').find((e) => e.eventType === 'TEXT_DELIVERED') as Record<string, unknown>,
      [
        ['totalMessageParts'],
        ['totalMessagePrice'],
        ['totalCarrierFee'],
        ['eventTimestamp'],
        ['messageRequestTimestamp'],
      ],
    ],
    [
      'Pinpoint SMS',
      rawEvents('sms')[0] as Record<string, unknown>,
      [
        ['attributes', 'number_of_message_parts'],
        ['metrics', 'price_in_millicents_usd'],
        ['metrics', 'custom'],
        ['event_timestamp'],
        ['arrival_timestamp'],
      ],
    ],
    [
      'Pinpoint session',
      { event_type: '_session.stop', application: { app_id: 'a' }, session: {} },
      [
        ['session', 'start_timestamp'],
        ['session', 'stop_timestamp'],
        ['event_timestamp'],
        ['arrival_timestamp'],
      ],
    ],
    [
      'Pinpoint email delivery',
      rawEvents('email').find((e) => e.event_type === '_email.delivered') as Record<string, unknown>,
      [['facets', 'email_channel', 'mail_event', 'delivery', 'processing_time_millis'], ['event_timestamp']],
    ],
    [
      'SES delivery',
      rawEvents('ses').find((e) => e.eventType === 'Delivery') as Record<string, unknown>,
      [
        ['delivery', 'processingTimeMillis'],
        ['delivery', 'timestamp'],
      ],
    ],
  ];

  it.each(cases)('holds for %s events whatever their numbers', async (_name, event, paths) => {
    expect(event).toBeDefined();
    const { runtime } = await testRuntime();
    fc.assert(
      fc.property(
        fc.array(numberValue, { minLength: paths.length, maxLength: paths.length }),
        fc.integer({ min: 0, max: 253_402_300_799_999 }),
        (literals, ingestMs) => {
          const text = withNumbers(event, paths, literals);
          const [p] = runPipeline([{ id: '1', data: b64(text), ingestMs }], runtime.settings, {
            keepRecords: true,
          });
          if (p?.outcome.kind !== 'ok') throw new Error(`expected a record: ${JSON.stringify(p?.outcome)}`);
          assertConformsToGlue(lineText(p.outcome), archive);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('stopping between records', () => {
  it('asks between records, never before the first, and returns the outcomes of the records before the stop', async () => {
    const { runtime } = await testRuntime();
    const inputs = rawEvents('sms').map((e, i) => ({
      id: String(i),
      data: b64(JSON.stringify(e)),
      ingestMs: 1_764_000_000_000,
    }));
    for (const stopAt of [1, 4, inputs.length]) {
      let asked = 0;
      const processed = runPipeline(inputs, runtime.settings, { shouldStop: () => ++asked >= stopAt });
      const expected = Math.min(stopAt, inputs.length);
      expect(processed.map((p) => p.input.id)).toEqual(inputs.slice(0, expected).map((i) => i.id));
      expect(asked).toBe(Math.min(stopAt, inputs.length - 1));
    }
    let asked = 0;
    expect(runPipeline(inputs, runtime.settings, { shouldStop: () => ++asked < 0 })).toHaveLength(
      inputs.length,
    );
    // Asked once per boundary between two records: n - 1 clock reads for n records.
    expect(asked).toBe(inputs.length - 1);
  });
});

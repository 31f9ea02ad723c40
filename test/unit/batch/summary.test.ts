import { summarize } from '../../../src/batch/summary';
import { runPipeline } from '../../../src/pipeline';
import { kinesisEvent, testRuntime } from '../../helpers/runtime';

describe('summarize', () => {
  it('counts every record once: normalized by source/family/outcome, dropped, poison by reason', async () => {
    const { runtime } = await testRuntime();
    const event = kinesisEvent('mixed');
    const inputs = event.Records.map((r) => ({
      id: r.kinesis.sequenceNumber,
      data: r.kinesis.data,
      ingestMs: Math.round(r.kinesis.approximateArrivalTimestamp * 1000),
    }));
    inputs.push({ id: 'bad', data: 'not base64!', ingestMs: inputs[0]?.ingestMs ?? 0 });
    const processed = runPipeline(inputs, runtime.settings, { keepRecords: true });
    const nowMs = Math.max(...inputs.map((i) => i.ingestMs)) + 1000;
    const s = summarize(processed, nowMs);

    const expected: Record<string, number> = {};
    const poison: Record<string, number> = {};
    for (const p of processed) {
      if (p.outcome.kind === 'poison') poison[p.outcome.reason] = (poison[p.outcome.reason] ?? 0) + 1;
      if (p.outcome.kind !== 'ok' || p.outcome.dropped) continue;
      const r = p.outcome.record;
      const key = `${r.source}/${r.family}/${r.outcome}`;
      expected[key] = (expected[key] ?? 0) + 1;
    }
    expect(s.byOutcome).toEqual(expected);
    expect(Object.keys(expected).length).toBeGreaterThan(5);
    expect(s.records).toBe(inputs.length);
    expect(s.ok + s.dropped + s.poison).toBe(inputs.length);
    expect(s.poisonByReason).toEqual(poison);
    expect(s.poisonByReason.invalid_base64).toBeGreaterThanOrEqual(1);
    expect(s.arrivalLatencyMaxMs).toBe(nowMs - Math.min(...inputs.map((i) => i.ingestMs)));
  });

  it('counts the records of the configuration sets it is given apart, by set, channel and outcome', async () => {
    const { runtime } = await testRuntime();
    const inputs = (['ses', 'mixed', 'eum'] as const).flatMap((name) =>
      kinesisEvent(name).Records.map((r) => ({
        id: `${name}-${r.kinesis.sequenceNumber}`,
        data: r.kinesis.data,
        ingestMs: 0,
      })),
    );
    const processed = runPipeline(inputs, runtime.settings, { keepRecords: true });
    const expected: Record<string, number> = {};
    let others = 0;
    for (const p of processed) {
      if (p.outcome.kind !== 'ok') continue;
      const r = p.outcome.record;
      if (r.configuration_set === 'prod-engagement') {
        const key = `prod-engagement/${r.channel ?? 'NONE'}/${r.outcome}`;
        expected[key] = (expected[key] ?? 0) + 1;
      } else others++;
    }
    expect(Object.values(expected).reduce((a, n) => a + n, 0)).toBeGreaterThanOrEqual(10);
    expect(others).toBeGreaterThan(10);

    const s = summarize(processed, 0, { configurationSets: ['marketing', 'prod-engagement'] });
    expect(s.byConfigurationSet).toEqual(expected);
    // Only the sets named: none of the others, and nothing at all when no set is named.
    expect(summarize(processed, 0, { configurationSets: ['marketing'] }).byConfigurationSet).toEqual({});
    expect(summarize(processed, 0).byConfigurationSet).toBeUndefined();
    expect(summarize(processed, 0, { configurationSets: [] }).byConfigurationSet).toBeUndefined();
  });

  it('is all zeros for an empty batch', () => {
    expect(summarize([], 0)).toMatchObject({ records: 0, ok: 0, byOutcome: {}, arrivalLatencyAvgMs: 0 });
  });
});

import { Readable } from 'node:stream';
import { eventTimeMs, type InputItem, readItems } from '../../../src/cli/inputItems';
import { firehoseEvent, kinesisEvent, rawEvents } from '../../helpers/runtime';

const FALLBACK = Date.UTC(2025, 0, 1);

async function items(text: string | Buffer, source = 'f.jsonl'): Promise<InputItem[]> {
  const out: InputItem[] = [];
  const bytes = typeof text === 'string' ? Buffer.from(text) : text;
  for await (const item of readItems(Readable.from([bytes]), source, FALLBACK)) out.push(item);
  return out;
}

const dataText = (item: InputItem | undefined) => {
  const data = item?.input.data;
  return typeof data === 'string' ? Buffer.from(data, 'base64').toString() : data?.toString();
};

describe('readItems', () => {
  it('reads JSON Lines of raw events with their exact text, named <file>:<line>', async () => {
    const [a, b] = rawEvents('email');
    const lineA = JSON.stringify(a);
    const got = await items(`${lineA}\n\n${JSON.stringify(b)}\n`);
    expect(got.map((i) => [i.kind, i.input.id])).toEqual([
      ['raw', 'f.jsonl:1'],
      ['raw', 'f.jsonl:3'],
    ]);
    expect(dataText(got[0])).toBe(lineA);
    expect(got[0]?.input.ingestMs).toBe(a?.arrival_timestamp);
  });

  it('numbers values concatenated on one line from the second on', async () => {
    const got = await items('{"event_type":"a"}{"event_type":"b"}{"event_type":"c"}');
    expect(got.map((i) => i.input.id)).toEqual(['f.jsonl:1', 'f.jsonl:1:2', 'f.jsonl:1:3']);
  });

  it('reads the elements of a JSON array, minified, named [i]', async () => {
    const events = rawEvents('ses');
    const got = await items(JSON.stringify(events, null, 2), 'ses.json');
    expect(got).toHaveLength(events.length);
    expect(got[3]?.input.id).toBe('ses.json:1[3]');
    expect(dataText(got[3])).toBe(JSON.stringify(events[3]));
  });

  it('reads Kinesis and Firehose Lambda events record by record, with their data and arrival', async () => {
    const k = kinesisEvent('mixed');
    const kin = await items(JSON.stringify(k, null, 2), 'k.json');
    expect(kin).toHaveLength(k.Records.length);
    const r5 = k.Records[5]?.kinesis;
    expect(kin[5]?.input).toEqual({
      id: 'k.json:1[5]',
      data: r5?.data,
      ingestMs: Math.round((r5?.approximateArrivalTimestamp ?? 0) * 1000),
      partitionKey: r5?.partitionKey,
    });
    const f = firehoseEvent('mixed');
    const fh = await items(JSON.stringify(f), 'f.json');
    expect(fh[2]?.input).toEqual({
      id: 'f.json:1[2]',
      data: f.records[2]?.data,
      ingestMs: f.records[2]?.approximateArrivalTimestamp,
    });
  });

  it('replays raw archive and quarantine lines exactly: id aside, data, arrival and partition key', async () => {
    const lines = [
      {
        id: '495',
        partition_key: 'pk-1',
        approximate_arrival_ms: 1700000000000,
        data: '{"eventType":"X"}\n',
      },
      { id: '496', approximate_arrival_ms: 1700000000001, data_base64: 'eyJl//4ifQ==' },
      {
        reason: 'invalid_json',
        detail: 'x',
        id: '497',
        approximate_arrival_ms: 1700000000002,
        data: '{"a":',
      },
    ];
    const got = await items(lines.map((l) => JSON.stringify(l)).join('\n'));
    expect(got.map((i) => i.input)).toEqual([
      {
        id: 'f.jsonl:1',
        data: Buffer.from('{"eventType":"X"}\n'),
        ingestMs: 1700000000000,
        partitionKey: 'pk-1',
      },
      { id: 'f.jsonl:2', data: 'eyJl//4ifQ==', ingestMs: 1700000000001 },
      { id: 'f.jsonl:3', data: Buffer.from('{"a":'), ingestMs: 1700000000002 },
    ]);
  });

  it('recognizes normalized records, which only go through the rules again', async () => {
    const record = {
      schema_version: 1,
      event_id: 'abc',
      source: 'pinpoint',
      family: 'email',
      event_type: '_email.send',
      outcome: 'sent',
      arrival_time: '2025-11-20T10:00:00.000Z',
      ingest_time: '2025-11-20T10:00:01.000Z',
      dt: '2025-11-20',
      hour: '10',
    };
    const [item] = await items(JSON.stringify(record));
    expect(item?.kind).toBe('normalized');
    expect(item?.input.ingestMs).toBe(Date.parse('2025-11-20T10:00:01.000Z'));
  });

  it('hands whatever is not an event to the pipeline as it is, to be quarantined', async () => {
    const got = await items('{"truncated":\n{"no_type":1}\n42\n[1]\n');
    expect(got.map((i) => dataText(i))).toEqual(['{"truncated":', '{"no_type":1}', '42', '1']);
    expect(got.map((i) => i.input.ingestMs)).toEqual([FALLBACK, FALLBACK, FALLBACK, FALLBACK]);
  });

  it('reads a broken array element by element: a bad element is poison under its own [i], the others records', async () => {
    const got = await items(
      '[{"event_type":"a"}, nope, {"event_type":"c"}]{"event_type":"d"}[{"event_type":',
    );
    expect(got.map((i) => [i.input.id, dataText(i)])).toEqual([
      ['f.jsonl:1[0]', '{"event_type":"a"}'],
      ['f.jsonl:1[1]', 'nope'],
      ['f.jsonl:1[2]', '{"event_type":"c"}'],
      ['f.jsonl:1:2', '{"event_type":"d"}'],
      ['f.jsonl:1:3[0]', '{"event_type":'],
    ]);
  });
});

describe('eventTimeMs', () => {
  it('takes the time the event itself gives, in the order that is closest to arrival', () => {
    expect(eventTimeMs({ arrival_timestamp: 2000000000000, event_timestamp: 1 })).toBe(2000000000000);
    expect(eventTimeMs({ event_timestamp: '1763650000' })).toBe(1763650000000);
    expect(eventTimeMs({ eventTimestamp: 1763657600088 })).toBe(1763657600088);
    expect(
      eventTimeMs({
        mail: { timestamp: '2025-11-20T18:59:20.117Z' },
        bounce: { timestamp: '2025-11-20T18:59:21.000Z' },
      }),
    ).toBe(Date.parse('2025-11-20T18:59:21.000Z'));
    expect(eventTimeMs({ event_type: 'x' })).toBeUndefined();
  });
});

import type { KinesisStreamEvent } from 'aws-lambda';
import { type FixtureRecord, toKinesisEvent } from '../../src/fixtures/wrap';
import { rawEvents } from './runtime';

export const STREAM_ARN = 'arn:aws:kinesis:us-east-1:123456789012:stream/pinpoint-events';
export const SHARD = 'shardId-000000000003';
export const WINDOW = { start: '2026-11-30T10:00:00Z', end: '2026-11-30T10:05:00Z' };
const WINDOW_MS = Date.parse(WINDOW.start);

/** A Kinesis event with the fields Lambda adds for a tumbling window (TumblingWindowInSeconds). */
export type WindowEvent = KinesisStreamEvent & {
  window: { start: string; end: string };
  state: unknown;
  shardId: string;
  eventSourceARN: string;
  isFinalInvokeForWindow: boolean;
  isWindowTerminatedEarly: boolean;
};

/** The Pinpoint email events a rate rule counts: a delivery, a hard bounce, a complaint. */
const TEMPLATES = {
  delivered: '_email.delivered',
  bounced: '_email.hardbounce',
  complained: '_email.complaint',
  opened: '_email.open',
} as const;

export type EmailOutcome = keyof typeof TEMPLATES;

/**
 * One Pinpoint email event of the given outcome, as raw bytes, for an app and a campaign: `n` makes it
 * another event (another event time, so another event id). Arrives `n` ms into the window.
 */
export function emailRecord(
  outcome: EmailOutcome,
  n: number,
  { app = 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6', campaign = 'c-1' }: { app?: string; campaign?: string } = {},
): FixtureRecord {
  const template = rawEvents('email').find((e) => e.event_type === TEMPLATES[outcome]);
  if (template === undefined) throw new Error(`no ${TEMPLATES[outcome]} sample in events/raw/email.json`);
  const event = structuredClone(template) as Record<string, Record<string, unknown>> & {
    event_timestamp: number;
    arrival_timestamp: number;
  };
  event.application = { ...event.application, app_id: app };
  event.attributes = { ...event.attributes, campaign_id: campaign };
  event.event_timestamp = WINDOW_MS + n;
  event.arrival_timestamp = WINDOW_MS + n + 50;
  return { data: Buffer.from(JSON.stringify(event)), arrivalMs: WINDOW_MS + n + 100 };
}

/** `delivered` deliveries and `bounced` hard bounces, interleaved, numbered from `from`. */
export function deliveriesAndBounces(
  delivered: number,
  bounced: number,
  from = 0,
  over: { app?: string; campaign?: string } = {},
): FixtureRecord[] {
  const records: FixtureRecord[] = [];
  const total = delivered + bounced;
  for (let i = 0; i < total; i++) {
    // Spread the bounces through the batch.
    const bounce = Math.floor(((i + 1) * bounced) / total) > Math.floor((i * bounced) / total);
    records.push(emailRecord(bounce ? 'bounced' : 'delivered', from + i, over));
  }
  return records;
}

const SEQUENCE_BASE = 49656178632478946225718230919431271478127036462117879810n;

/**
 * A windowed Kinesis event of `records`, the `first`-th record of the shard onwards (sequence numbers follow
 * on from one invocation to the next), with the window fields Lambda sends.
 */
export function windowEvent(
  records: readonly FixtureRecord[],
  first: number,
  state: unknown,
  flags: { final?: boolean; terminatedEarly?: boolean; window?: { start: string; end: string } } = {},
): WindowEvent {
  const event = toKinesisEvent(records, {
    streamArn: STREAM_ARN,
    shardId: SHARD,
    sequenceBase: (SEQUENCE_BASE + BigInt(first) * 1_000_000n).toString(),
  });
  return {
    ...event,
    window: flags.window ?? WINDOW,
    state,
    shardId: SHARD,
    eventSourceARN: STREAM_ARN,
    isFinalInvokeForWindow: flags.final === true,
    isWindowTerminatedEarly: flags.terminatedEarly === true,
  };
}

/** The sequence number of the `i`-th record of the shard, as windowEvent numbers them. */
export function sequenceOf(i: number): string {
  return (SEQUENCE_BASE + BigInt(i) * 1_000_000n).toString();
}

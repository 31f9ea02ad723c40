import type { NormalizedRecord } from '../../src/schema';

/** A minimal valid normalized record (a Pinpoint `_email.send`), with the given fields replaced. */
export function normalizedRecord(overrides: Partial<NormalizedRecord> = {}): NormalizedRecord {
  return {
    schema_version: 1,
    event_id: 'e-1',
    source: 'pinpoint',
    family: 'email',
    event_type: '_email.send',
    outcome: 'sent',
    arrival_time: '2025-11-20T14:46:40.000Z',
    ingest_time: '2025-11-20T14:46:40.000Z',
    dt: '2025-11-20',
    hour: '14',
    ...overrides,
  };
}

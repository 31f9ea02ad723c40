import { checkGuard, compareUtf8, RATE_INPUT_LIMITS } from '../../../src/sinks/rateInputLimits';
import { counterItemOf, stringSetOf } from '../../../src/sinks/rateItemLayout';

describe('counterItemOf', () => {
  it('reads counts, high-water marks, in-flight batches and the alert mark', () => {
    expect(
      counterItemOf({
        pk: 'id',
        kind: 'counter',
        'c:delivered': 3,
        'c:odd:name': 0,
        'hw:shardId-1': '0009',
        in_flight: ['b1', 'b2'],
        alert_state: 'sent',
        alert_token: 'A',
        alert_until: 5_000,
        expires_at: 1,
      }),
    ).toEqual({
      counts: { delivered: 3, 'odd:name': 0 },
      highWater: { 'shardId-1': '0009' },
      inFlight: ['b1', 'b2'],
      alert: { state: 'sent', token: 'A', until: 5_000 },
    });
  });

  it('ignores attributes edited by hand to something this store never writes', () => {
    expect(
      counterItemOf({
        'c:text': '3',
        'c:negative': -1,
        'c:fraction': 0.5,
        'c:unsafe': 2 ** 53,
        'c:nan': Number.NaN,
        'c:': 4,
        'hw:number': 9,
        'hw:': 'x',
        in_flight: 'b1',
        alert_state: 'claimed',
        alert_token: 'A',
        alert_until: '5000',
      }),
    ).toEqual({ counts: {}, highWater: {}, inFlight: [] });
    expect(counterItemOf({ alert_state: 'maybe', alert_token: 'A', alert_until: 1 }).alert).toBeUndefined();
    expect(counterItemOf({ alert_state: 'claimed', alert_until: 1 }).alert).toBeUndefined();
    expect(stringSetOf(['a', 1, null, 'b'])).toEqual(['a', 'b']);
    expect(stringSetOf({ 0: 'a' })).toEqual([]);
  });
});

describe('rate input limits', () => {
  it('compares sequence keys by UTF-8 bytes, as DynamoDB does', () => {
    expect(compareUtf8('0009', '0010')).toBeLessThan(0);
    // U+FF5E sorts below U+1F600 in UTF-8 bytes, above it in UTF-16 code units.
    expect('\uff5e' < '\u{1f600}').toBe(false);
    expect(compareUtf8('\uff5e', '\u{1f600}')).toBeLessThan(0);
    expect(() => checkGuard({ kind: 'sequence', lane: 'l', first: '\u{1f600}', last: '\uff5e' })).toThrow(
      /first sequence key is above the last/,
    );
  });

  it('bounds every text and takes paired surrogates', () => {
    const lane = 'l'.repeat(RATE_INPUT_LIMITS.nameChars);
    expect(() => checkGuard({ kind: 'sequence', lane, first: '1', last: '1' })).not.toThrow();
    expect(() => checkGuard({ kind: 'sequence', lane: `${lane}x`, first: '1', last: '1' })).toThrow(
      RangeError,
    );
    expect(() => checkGuard({ kind: 'batch', batchId: '🚀 ok' })).not.toThrow();
    expect(() => checkGuard({ kind: 'batch', batchId: 'bad \udc00' })).toThrow(/lone surrogate/);
    expect(() => checkGuard({ kind: 'batch', batchId: 'bad \ud800' })).toThrow(/lone surrogate/);
  });
});

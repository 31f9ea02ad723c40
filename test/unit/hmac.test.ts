import { createHmac, randomBytes } from 'node:crypto';
import { createHmacHex } from '../../src/hmac';

const reference = (key: Buffer, value: string) => createHmac('sha256', key).update(value).digest('hex');

describe('createHmacHex', () => {
  const keys = {
    short: Buffer.from('k'),
    typical: Buffer.from('bench-key-0123456789abcdef'),
    'exactly one block': randomBytes(64),
    'longer than a block': randomBytes(100),
    'bytes above 0x7f': Buffer.from([0xff, 0x80, 0x00, 0x9c, 0xfe]),
    empty: Buffer.alloc(0),
  };
  const values = [
    '',
    'jane@example.com',
    '+12065550100',
    'Jöhn.Dœ@exämple.com',
    '😀 emoji and text',
    'x'.repeat(1365),
    'y'.repeat(1366), // 4098 bytes at 3 per char would not fit: the createHmac path
    'é'.repeat(3000),
  ];

  for (const [name, key] of Object.entries(keys)) {
    it(`matches createHmac for a ${name} key`, () => {
      const hmac = createHmacHex(key);
      for (const v of values) expect(hmac(v)).toBe(reference(key, v));
    });
  }

  it('gives the right answer when values of different lengths alternate (views are reused)', () => {
    const key = Buffer.from('alternating');
    const hmac = createHmacHex(key);
    const vs = ['a@b.co', 'longer.address@example.com', 'a@b.co', 'x', 'longer.address@example.com'];
    for (let round = 0; round < 3; round++) for (const v of vs) expect(hmac(v)).toBe(reference(key, v));
  });

  it('keeps hashers with different keys apart', () => {
    const a = createHmacHex(Buffer.from('key-a'));
    const b = createHmacHex(Buffer.from('key-b'));
    expect(a('jane@example.com')).not.toBe(b('jane@example.com'));
    expect(a('jane@example.com')).toBe(reference(Buffer.from('key-a'), 'jane@example.com'));
  });
});

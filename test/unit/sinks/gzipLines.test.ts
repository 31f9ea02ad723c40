import { gunzipSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { gzipLines } from '../../../src/sinks/gzipLines';

// What gzipLines replaces: join the lines, encode them as UTF-8, gzip the whole.
const reference = (lines: string[], level: number) =>
  gzipSync(Buffer.from(lines.join(''), 'utf8'), { level });

describe('gzipLines', () => {
  it('gives the bytes gzip gives for the joined lines, whatever their characters (JSON Lines)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.string(),
            fc.string({ unit: 'binary' }),
            fc.string({ unit: 'grapheme', maxLength: 200 }),
          ),
          { maxLength: 60 },
        ),
        fc.integer({ min: 1, max: 9 }),
        async (texts, level) => {
          const lines = texts.map((t) => `${JSON.stringify({ t })}\n`);
          const gz = await gzipLines(lines, level);
          expect(gunzipSync(gz).equals(Buffer.from(lines.join(''), 'utf8'))).toBe(true);
          expect(gz.equals(reference(lines, level))).toBe(true);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('spans pieces: many lines, lines longer than a piece, characters of 1 to 4 bytes', async () => {
    const lines = [
      ...Array.from({ length: 5000 }, (_, i) => `{"i":${i},"s":"${'é€😀a'.repeat(i % 50)}"}\n`),
      `{"big":"${'€'.repeat(400_000)}"}\n`,
      `{"big":"${'😀'.repeat(200_000)}"}\n`,
      '{"last":true}\n',
    ];
    const gz = await gzipLines(lines, 3);
    expect(gunzipSync(gz).equals(Buffer.from(lines.join(''), 'utf8'))).toBe(true);
    expect(gz.equals(reference(lines, 3))).toBe(true);
  });

  it('gives an empty gzip stream for no lines', async () => {
    expect(gunzipSync(await gzipLines([], 3)).length).toBe(0);
  });
});

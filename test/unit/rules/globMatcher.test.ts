import fc from 'fast-check';
import { compileRules } from '../../../src/rules/compileRules';
import { compileGlob } from '../../../src/rules/globMatcher';
import { normalizedRecord } from '../../helpers/factories';

/** The matcher compileRules used before: one anchored RegExp per key, `*` → `.*`, `?` → `.`, flag `s`. */
function regExpGlob(globs: readonly string[], flags = 's'): RegExp {
  const source = globs.map((glob) => {
    let out = '';
    for (const ch of glob) {
      if (ch === '*') out += '.*';
      else if (ch === '?') out += '.';
      else out += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
    return out;
  });
  return new RegExp(`^(?:${source.join('|')})$`, flags);
}

/** The old value test of a rule key: exact values in a Set, globs in one RegExp, both sides lower-cased. */
function regExpValueTest(values: readonly string[]): (v: string) => boolean {
  const lower = values.map((v) => v.toLowerCase());
  const exact = new Set(lower.filter((v) => !/[*?]/.test(v)));
  const globs = lower.filter((v) => /[*?]/.test(v));
  const re = globs.length > 0 ? regExpGlob(globs) : undefined;
  return (v) => exact.has(v.toLowerCase()) || (re?.test(v.toLowerCase()) ?? false);
}

// Regex syntax, case pairs and line breaks, so that escaping, folding and flag `s` are all exercised.
const BMP = [
  'a',
  'b',
  'A',
  'B',
  '.',
  '\n',
  '\r',
  '\u2028',
  'é',
  'É',
  'ß',
  '[',
  ']',
  '\\',
  '+',
  '(',
  ')',
  '$',
  '^',
  '{',
  '|',
  '-',
];
// Astral characters and both halves of a surrogate pair on their own: where code points and units differ.
const ASTRAL = ['a', 'b', '\u{1F600}', '\u{1F601}', '\uD83D', '\uDE00', '\uDE01', 'é'];

const textOf = (alphabet: readonly string[], maxLength: number) =>
  fc.array(fc.constantFrom(...alphabet), { maxLength }).map((chars) => chars.join(''));

const globOf = (alphabet: readonly string[], maxLength: number) =>
  fc
    .array(
      fc.oneof(
        { weight: 6, arbitrary: fc.constantFrom(...alphabet) },
        { weight: 2, arbitrary: fc.constant('?') },
        { weight: 2, arbitrary: fc.constant('*') },
      ),
      { maxLength },
    )
    .map((chars) => chars.join(''));

/**
 * A glob made from a text so that it matches it — each character kept, turned into `?` or `*`, or preceded by
 * a `*` — with the text, then possibly changed in one place: long globs (past 31 characters, the multi-word
 * path) that match, and ones that almost do.
 */
const derivedPair = (alphabet: readonly string[], maxLength: number) =>
  fc
    .array(
      fc.tuple(
        fc.constantFrom(...alphabet),
        fc.constantFrom('keep', 'keep', 'keep', 'keep', 'keep', '?', '*', 'star-before'),
      ),
      // size 'max': fast-check otherwise keeps arrays to about ten elements, whatever maxLength says.
      { maxLength, size: 'max' },
    )
    .chain((chars) => {
      const text = chars.map(([c]) => c).join('');
      const glob = chars.map(([c, op]) => (op === 'keep' ? c : op === 'star-before' ? `*${c}` : op)).join('');
      return fc.tuple(
        fc.constant(glob),
        fc.oneof(
          fc.constant(text),
          fc
            .tuple(fc.nat({ max: text.length }), fc.constantFrom('', ...alphabet))
            .map(([at, c]) => text.slice(0, at) + c + text.slice(at + 1)),
          fc.constantFrom(...alphabet).map((c) => text + c),
        ),
      );
    });

describe('compileGlob', () => {
  it('matches * with any run of characters, the empty one too', () => {
    expect(compileGlob('*bounce*')('_email.hardbounce')).toBe(true);
    expect(compileGlob('*bounce*')('bounce')).toBe(true);
    expect(compileGlob('*bounce*')('_email.complaint')).toBe(false);
    expect(compileGlob('*')('')).toBe(true);
    expect(compileGlob('a**b')('ab')).toBe(true);
    expect(compileGlob('a*b*c')('abbbcbc')).toBe(true);
    expect(compileGlob('a*b*c')('abbbcb')).toBe(false);
  });

  it('matches ? with exactly one character, a line break too', () => {
    expect(compileGlob('a?c')('abc')).toBe(true);
    expect(compileGlob('a?c')('a\nc')).toBe(true);
    expect(compileGlob('a?c')('ac')).toBe(false);
    expect(compileGlob('a?c')('abbc')).toBe(false);
    expect(compileGlob('?')('')).toBe(false);
  });

  it('takes every other character literally, regex syntax included', () => {
    expect(compileGlob('a+b(c)*')('a+b(c)d')).toBe(true);
    expect(compileGlob('a+b(c)*')('aab(c)d')).toBe(false);
    expect(compileGlob('[ab]*')('a')).toBe(false);
    expect(compileGlob('^.$*')('^.$x')).toBe(true);
    expect(compileGlob('^.$*')('^x$x')).toBe(false);
  });

  it('anchors at both ends', () => {
    expect(compileGlob('_email.*')('custom_email.send')).toBe(false);
    expect(compileGlob('*.send')('_email.send2')).toBe(false);
  });

  it('counts an emoji as one character, and a lone half of a surrogate pair as one too', () => {
    // The RegExp this replaces counted UTF-16 units: `?` took half an emoji, `??` a whole one.
    expect(compileGlob('x?')('x\u{1F600}')).toBe(true);
    expect(compileGlob('x??')('x\u{1F600}')).toBe(false);
    expect(regExpGlob(['x??']).test('x\u{1F600}')).toBe(true);
    expect(compileGlob('x?')('x\uD83D')).toBe(true);
    expect(compileGlob('x??')('x\uDE00\uD83D')).toBe(true);
    expect(compileGlob('\u{1F600}*')('\u{1F600}\u{1F601}')).toBe(true);
    expect(compileGlob('\uD83D*')('\u{1F600}')).toBe(false);
  });

  it('handles globs longer than one machine word of states', () => {
    const glob = `${'ab?'.repeat(20)}*${'c'.repeat(40)}`;
    const text = `${'abx'.repeat(20)}zzz${'c'.repeat(40)}`;
    expect(compileGlob(glob)(text)).toBe(true);
    expect(compileGlob(glob)(text.slice(0, -1))).toBe(false);
    expect(compileGlob(glob)(`${text}c`)).toBe(true);
    expect(compileGlob(`${'a'.repeat(33)}`.replace(/a$/, '?'))('a'.repeat(33))).toBe(true);
    expect(compileGlob('?'.repeat(64))('\u{1F600}'.repeat(64))).toBe(true);
    expect(compileGlob('?'.repeat(64))('\u{1F600}'.repeat(63))).toBe(false);
  });

  describe('is the RegExp it replaces', () => {
    it('on short strings of characters from the Basic Multilingual Plane', () => {
      fc.assert(
        fc.property(globOf(BMP, 12), textOf(BMP, 16), (glob, text) => {
          expect(compileGlob(glob)(text)).toBe(regExpGlob([glob]).test(text));
        }),
        { numRuns: 3000 },
      );
    });

    it('on long globs made from the text, matching or nearly', () => {
      fc.assert(
        fc.property(derivedPair(BMP, 80), ([glob, text]) => {
          expect(compileGlob(glob)(text)).toBe(regExpGlob([glob]).test(text));
        }),
        { numRuns: 2000 },
      );
    });

    it('with flag u (code points) on astral characters and lone surrogates', () => {
      fc.assert(
        fc.property(globOf(ASTRAL, 10), textOf(ASTRAL, 14), (glob, text) => {
          expect(compileGlob(glob)(text)).toBe(regExpGlob([glob], 'su').test(text));
        }),
        { numRuns: 3000 },
      );
      fc.assert(
        fc.property(derivedPair(ASTRAL, 60), ([glob, text]) => {
          expect(compileGlob(glob)(text)).toBe(regExpGlob([glob], 'su').test(text));
        }),
        { numRuns: 1000 },
      );
    });

    it('through compileRules: lists of exact values and globs, on event_type and attributes, any case', () => {
      const values = fc.array(
        fc.oneof(
          globOf(BMP, 8),
          textOf(BMP, 6).filter((v) => v.length > 0),
        ),
        {
          minLength: 1,
          maxLength: 4,
        },
      );
      fc.assert(
        fc.property(
          values.map((list) => list.map((v) => (v.length > 0 ? v : '*'))),
          textOf(BMP, 10),
          (list, text) => {
            const expected = regExpValueTest(list)(text);
            const [byType, byAttribute] = compileRules([
              { name: 't', match: { event_type: list }, action: 'drop' },
              { name: 'a', match: { attributes: { k: list } }, action: 'drop' },
            ]);
            expect(byType?.matches(normalizedRecord({ event_type: text }))).toBe(expected);
            expect(byAttribute?.matches(normalizedRecord({ attributes: { k: text } }))).toBe(expected);
          },
        ),
        { numRuns: 2000 },
      );
    });
  });
});

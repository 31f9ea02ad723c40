/**
 * Longest glob a rule may hold, in characters: the cost of a match grows with it (see {@link compileGlob}),
 * so the rules schema refuses longer ones.
 */
export const MAX_GLOB_LENGTH = 256;

/**
 * The match keys whose values may be globs. Every other key's values are compared exactly (ignoring case), and
 * a `*` or `?` in one of them is an error ({@link noGlobProblem}), not a literal character that never matches.
 */
export const GLOB_KEYS = ['event_type', 'attributes'] as const;

/** A value that holds no glob character: what the keys outside {@link GLOB_KEYS} accept. */
export const NO_GLOB = /^[^*?]*$/;

/** Whether a value holds `*` or `?`: a glob in a key of {@link GLOB_KEYS}, an error in any other. */
export function hasGlobCharacter(value: string): boolean {
  return !NO_GLOB.test(value);
}

/**
 * The problem with `value`, given to `key`, a key that takes no globs: which keys do. The value is quoted, cut
 * to 100 characters.
 */
export function noGlobProblem(key: string, value: string): string {
  const shown = value.length > 100 ? `${value.slice(0, 100)}…` : value;
  return `'${shown}': ${key} takes no globs (only ${GLOB_KEYS.join(' and ')} values do: * and ?); it is compared exactly, ignoring case`;
}

const STAR = 0x2a;
const QUESTION = 0x3f;

/** A mask per character of the glob: ASCII in an array, the rest in a map; `other` for any character not in the glob. */
interface CharMasks<M> {
  ascii: M[];
  others: Map<number, M>;
  other: M;
}

/**
 * Compiles a glob — `*` for any run of characters (the empty one too), `?` for exactly one, every other
 * character literal — into a test of a whole string. Characters are Unicode code points on both sides: `?`
 * matches one emoji (the RegExp this replaces took `?` for one UTF-16 unit, half an emoji).
 *
 * Linear by construction: the glob is a chain of states (one per non-`*` character, a `*` is a loop on the
 * state it sits at), and the test walks the string once, carrying the set of states reached so far as a bit
 * set and advancing all of them at once per character (bit-parallel simulation, Baeza-Yates–Gonnet Shift-And).
 * No backtracking: O(n · ⌈m / 32⌉) for a string of n characters and a glob of m, so at most 9 word operations
 * per character under {@link MAX_GLOB_LENGTH}. It stops early when no state is left (no match possible) or
 * when the final state is reached behind a trailing `*` (a match whatever follows).
 *
 * Case is the caller's business: rules fold both sides to lower case first.
 */
export function compileGlob(glob: string): (text: string) => boolean {
  const tokens: number[] = [];
  const loops: number[] = [];
  for (const ch of glob) {
    const cp = ch.codePointAt(0) as number;
    if (cp === STAR) {
      if (loops[loops.length - 1] !== tokens.length) loops.push(tokens.length);
    } else tokens.push(cp);
  }
  const states = tokens.length + 1;
  const anyLength = loops.length > 0;
  const minUnits = tokens.length;
  return states <= 32
    ? singleWordMatcher(tokens, loops, minUnits, anyLength)
    : multiWordMatcher(tokens, loops, minUnits, anyLength);
}

/** Bit `k` of a character's mask is set when the k-th glob character (1-based) accepts it. */
function buildMasks<M>(
  tokens: readonly number[],
  empty: () => M,
  set: (mask: M, bit: number) => M,
): CharMasks<M> {
  let other = empty();
  tokens.forEach((t, i) => {
    if (t === QUESTION) other = set(other, i + 1);
  });
  const others = new Map<number, M>();
  const ascii: M[] = new Array(128).fill(other);
  tokens.forEach((t, i) => {
    if (t === QUESTION) return;
    const current = t < 128 ? (ascii[t] as M) : (others.get(t) ?? other);
    const mask = set(current === other ? copyOf(other) : current, i + 1);
    if (t < 128) ascii[t] = mask;
    else others.set(t, mask);
  });
  return { ascii, others, other };
}

/**
 * The code point at `i`: one step per code point, so that a surrogate pair is one character (one `?`), and a
 * lone surrogate is one too. ASCII and the rest of the BMP cost one `charCodeAt`.
 */
function codePointAt(text: string, i: number): number {
  const c = text.charCodeAt(i);
  return c >= 0xd800 && c <= 0xdbff ? (text.codePointAt(i) as number) : c;
}

function copyOf<M>(mask: M): M {
  return (mask instanceof Int32Array ? mask.slice() : mask) as M;
}

function singleWordMatcher(
  tokens: readonly number[],
  loops: readonly number[],
  minUnits: number,
  anyLength: boolean,
): (text: string) => boolean {
  const { ascii, others, other } = buildMasks<number>(
    tokens,
    () => 0,
    (mask, bit) => mask | (1 << bit),
  );
  let loopMask = 0;
  for (const k of loops) loopMask |= 1 << k;
  const accept = 1 << tokens.length;
  const acceptForGood = accept & loopMask;
  const maxUnits = anyLength ? Number.POSITIVE_INFINITY : 2 * tokens.length;
  return (text) => {
    const n = text.length;
    if (n < minUnits || n > maxUnits) return false;
    let d = 1;
    for (let i = 0; i < n; i++) {
      const c = codePointAt(text, i);
      if (c > 0xffff) i++;
      const mask = c < 128 ? (ascii[c] as number) : (others.get(c) ?? other);
      d = ((d << 1) & mask) | (d & loopMask);
      if (d === 0) return false;
      if ((d & acceptForGood) !== 0) return true;
    }
    return (d & accept) !== 0;
  };
}

function multiWordMatcher(
  tokens: readonly number[],
  loops: readonly number[],
  minUnits: number,
  anyLength: boolean,
): (text: string) => boolean {
  const words = (tokens.length >>> 5) + 1;
  const { ascii, others, other } = buildMasks<Int32Array>(
    tokens,
    () => new Int32Array(words),
    (mask, bit) => {
      (mask as Int32Array)[bit >>> 5] = ((mask as Int32Array)[bit >>> 5] as number) | (1 << (bit & 31));
      return mask;
    },
  );
  const loopMask = new Int32Array(words);
  for (const k of loops) loopMask[k >>> 5] = (loopMask[k >>> 5] as number) | (1 << (k & 31));
  const last = tokens.length >>> 5;
  const accept = 1 << (tokens.length & 31);
  const acceptForGood = accept & (loopMask[last] as number);
  const maxUnits = anyLength ? Number.POSITIVE_INFINITY : 2 * tokens.length;
  return (text) => {
    const n = text.length;
    if (n < minUnits || n > maxUnits) return false;
    let d = new Int32Array(words);
    let next = new Int32Array(words);
    d[0] = 1;
    for (let i = 0; i < n; i++) {
      const c = codePointAt(text, i);
      if (c > 0xffff) i++;
      const mask = c < 128 ? (ascii[c] as Int32Array) : (others.get(c) ?? other);
      let carry = 0;
      let alive = 0;
      for (let w = 0; w < words; w++) {
        const x = d[w] as number;
        const v = (((x << 1) | carry) & (mask[w] as number)) | (x & (loopMask[w] as number));
        carry = x >>> 31;
        next[w] = v;
        alive |= v;
      }
      const t = d;
      d = next;
      next = t;
      if (alive === 0) return false;
      if (((d[last] as number) & acceptForGood) !== 0) return true;
    }
    return ((d[last] as number) & accept) !== 0;
  };
}

import { DEFAULT_MAX_RECORD_BYTES, type InputLimitError, recordTooLarge } from './limits';

/**
 * One top-level JSON value (or something that failed to be one) found in the input, or one element of a
 * top-level JSON array.
 */
export interface Fragment {
  /** The text of the value, exactly as in the input (one line) or as lines joined by `\n`. */
  text: string;
  /** 1-based line where it starts; for an array element, where its array starts. */
  line: number;
  /** The value's number among the top-level values starting on that line, from 1 (an element: its array's). */
  ordinal: number;
  /** True when the value spans several lines (a pretty-printed document). */
  multiline: boolean;
  /** The parsed value, when the splitter already parsed it (the fast path of one object per line). */
  value?: unknown;
  parsed: boolean;
  /** Set on the elements of a top-level array: the element's index. */
  element?: number;
}

/** What the splitter is reading: nothing, a top-level value, a top-level array, or garbage to the line's end. */
type Mode = 'none' | 'value' | 'array' | 'garbage';

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;

/**
 * Splits text, fed line by line, into top-level JSON values, whatever the layout:
 *
 * - JSON Lines (one object per line: the fast path, one `JSON.parse` per line);
 * - values concatenated with no separator (`{…}{…}`), as Firehose writes records to S3 when no newline is
 *   added — the splitter tracks nesting depth and strings, so braces inside strings do not count;
 * - one document over many lines (a pretty-printed Lambda event);
 * - a top-level JSON array, on one line or many: its elements come out one by one as they end, never the array
 *   whole, so memory does not grow with the number of elements (`[{},{},…]` of 13 million elements took 3.0 GiB
 *   when the array was parsed whole).
 *
 * A value that never closes must not swallow the rest of the file: a raw newline cannot occur inside a JSON
 * string, and a new object starting at column 0 while an object is open means the open one was cut short.
 * Either ends the open value as a fragment of its own (it then fails to parse and becomes poison); in an array,
 * the element being read, and the array. Anything between values that cannot start one (a scalar, garbage)
 * is a fragment up to the end of its line. A value, an element or a run of garbage longer than
 * `maxRecordBytes` is an error ({@link InputLimitError}): the splitter holds at most one of those at a time.
 *
 * A line too long to be held whole (longer than the record cap: a Firehose S3 object written without newlines
 * is one line of up to 128 MiB) is fed in parts; everything but the fast path works across parts, and the
 * splitter visits each character once, whatever the size of a value.
 *
 * Why not a library. `stream-json` (`jsonStreaming: true`) and `@streamparser/json` (`separator: ''`) read
 * `}{`-concatenated values and JSON Lines too, but they hand back parsed values, not the text of each value
 * (a record must keep its bytes exactly), and they stop at the first bad value where this goes on with the
 * next line. And they are slower. 54 MB of generated Pinpoint/EUM/SES events (bench/generate.ts, 40,000
 * events), 64 KiB chunks from memory to parsed values, best of 3, Node 20, 2 shared cores:
 *
 * | layout                    | this splitter (readInput) | @streamparser/json 0.0.26 | stream-json 3.8.0 |
 * |---------------------------|---------------------------|---------------------------|-------------------|
 * | JSON Lines                | 0.26 s, 209 MB/s          | 1.10 s, 50 MB/s           | 4.47 s, 12 MB/s   |
 * | concatenated, no newline  | 0.72 s, 76 MB/s           | 1.05 s, 51 MB/s           | 3.02 s, 18 MB/s   |
 *
 * A test (JsonSplitter.test.ts) holds this splitter to the same values as `@streamparser/json` on random
 * inputs in both layouts and any chunking (the elements of top-level arrays, for arrays).
 */
export class JsonSplitter {
  private mode: Mode = 'none';
  /** The text of the unit being read (a value, an array element, garbage) from earlier lines or parts. */
  private parts: string[] = [];
  /** UTF-8 bytes in {@link parts}: the unit's size so far, held to the record cap. */
  private pendingBytes = 0;
  /** Line breaks in {@link parts}: the unit spans lines. */
  private lineBreaks = 0;
  /** Where the current top-level value (or array) starts, and its number among the values starting there. */
  private startLine = 0;
  private ordinal = 0;
  /** Where the unit being read starts (an element's own line), for the error of a unit over the cap. */
  private unitLine = 0;
  private lastStartLine = 0;
  private lastOrdinal = 0;
  /** Nesting depth: 1 inside the top-level value, or inside the top-level array between its elements. */
  private depth = 0;
  private inString = false;
  private escaped = false;
  private openedWithBrace = false;
  /** In a top-level array: the index of the element being read or next, whether one has started, and whether a
   * comma came after the last one. */
  private index = 0;
  private inElement = false;
  private afterComma = false;

  /** @param maxRecordBytes the largest value, array element or garbage run (UTF-8 bytes); past it, an error */
  constructor(private readonly maxRecordBytes = DEFAULT_MAX_RECORD_BYTES) {}

  /**
   * Feeds one line without its line break, or one part of a line too long to be held whole (`first` and `last`
   * say which). Yields the fragments that end in it, one at a time: a line of a million tiny array elements
   * never has them all at once.
   * @throws InputLimitError when a value, an element or a run of garbage grows past the record cap
   */
  *push(text: string, lineNo: number, first = true, last = true): Generator<Fragment> {
    if (first) {
      // An object is open and a new one starts at column 0: the open one was cut short (JSON Lines).
      if (this.mode === 'value' && this.openedWithBrace && text.charCodeAt(0) === OPEN_BRACE)
        yield* this.flushOpen();
      if (this.mode === 'none' && last) {
        const fast = parseWhole(text);
        if (fast !== undefined) {
          if (fast.blank) return;
          const ordinal = this.nextOrdinal(lineNo);
          yield { text, line: lineNo, ordinal, multiline: false, value: fast.value, parsed: true };
          return;
        }
      }
    }
    /** Where the unit being read starts in `text` (0 when it started in an earlier line or part). */
    let segStart = 0;
    let i = 0;
    const n = text.length;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (this.mode === 'none') {
        if (isSpace(c)) {
          i++;
          continue;
        }
        this.startLine = this.unitLine = lineNo;
        this.ordinal = this.nextOrdinal(lineNo);
        segStart = i;
        i++;
        if (c === OPEN_BRACE) {
          this.open('value');
          this.openedWithBrace = true;
        } else if (c === OPEN_BRACKET) {
          this.open('array');
          this.index = 0;
          this.inElement = false;
          this.afterComma = false;
        } else {
          // Anything else cannot start a value: a fragment up to the end of its line.
          this.mode = 'garbage';
          i = n;
        }
        continue;
      }
      if (this.mode === 'garbage') {
        i = n;
        continue;
      }
      if (this.mode === 'array' && !this.inElement) {
        if (isSpace(c)) {
          i++;
          continue;
        }
        if (c === CLOSE_BRACKET || c === CLOSE_BRACE) {
          // `[1,]`: the element after the comma is missing; it is a record of its own, which is poison.
          if (this.afterComma) yield this.element('');
          this.reset();
          i++;
          continue;
        }
        if (c === COMMA) {
          // `[,` or `,,`: an element is missing.
          yield this.element('');
          this.index++;
          this.afterComma = true;
          i++;
          continue;
        }
        this.inElement = true;
        this.unitLine = lineNo;
        segStart = i;
      }
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === BACKSLASH) this.escaped = true;
        else if (c === QUOTE) this.inString = false;
      } else if (c === QUOTE) this.inString = true;
      else if (c === OPEN_BRACE || c === OPEN_BRACKET) this.depth++;
      else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        if (this.mode === 'array' && this.depth === 1) {
          // The array closes: so does its last element.
          yield this.element(this.take(text, segStart, i).trim());
          this.reset();
        } else if (--this.depth === 0) {
          const multiline = this.lineBreaks > 0;
          yield fragment(this.take(text, segStart, i + 1), this.startLine, this.ordinal, multiline);
          this.reset();
        }
      } else if (c === COMMA && this.mode === 'array' && this.depth === 1) {
        yield this.element(this.take(text, segStart, i).trim());
        this.index++;
        this.inElement = false;
        this.afterComma = true;
      }
      i++;
    }
    if (this.mode === 'garbage') {
      this.keep(text.slice(segStart), false);
      if (last) {
        yield fragment(this.take('', 0, 0).trimEnd(), this.startLine, this.ordinal, false);
        this.reset();
      }
    } else if (this.mode === 'value' || (this.mode === 'array' && this.inElement)) {
      this.keep(text.slice(segStart), last);
      // A raw line break cannot be inside a JSON string: the value is cut short.
      if (last && this.inString) yield* this.flushOpen();
    }
  }

  /** Ends the input: a value still open is returned as it is (it will fail to parse). */
  end(): Fragment[] {
    return this.flushOpen();
  }

  /**
   * Ends what is open, as it is: a value; or of an array, what follows its last complete element, as one more
   * element (empty when nothing follows: a truncated array is poison too). A no-op when nothing is open.
   */
  private flushOpen(): Fragment[] {
    if (this.mode === 'none') return [];
    let text = this.take('', 0, 0);
    let lineBreaks = this.lineBreaks;
    if (text.endsWith('\n')) {
      text = text.slice(0, -1);
      lineBreaks--;
    }
    const out =
      this.mode === 'array'
        ? this.element(text.trim())
        : fragment(
            this.mode === 'garbage' ? text.trimEnd() : text,
            this.startLine,
            this.ordinal,
            lineBreaks > 0,
          );
    this.reset();
    return [out];
  }

  /** The element being read of the array, with `text`; what was kept of it is let go. */
  private element(text: string): Fragment {
    this.parts = [];
    this.pendingBytes = 0;
    this.lineBreaks = 0;
    return {
      text,
      line: this.startLine,
      ordinal: this.ordinal,
      multiline: false,
      parsed: false,
      element: this.index,
    };
  }

  /** Keeps the rest of a line (and its line break when the line ends) as part of the unit being read. */
  private keep(rest: string, lineEnds: boolean): void {
    if (rest.length > 0) {
      this.parts.push(rest);
      this.pendingBytes += Buffer.byteLength(rest, 'utf8');
    }
    if (lineEnds) {
      this.parts.push('\n');
      this.pendingBytes++;
      this.lineBreaks++;
    }
    if (this.pendingBytes > this.maxRecordBytes) throw this.tooLarge();
  }

  /** The unit's text: what was kept, and `text` from `start` to `end`. Held to the record cap. */
  private take(text: string, start: number, end: number): string {
    const tail = text.slice(start, end);
    // A UTF-16 unit is at most 3 bytes of UTF-8: most tails cannot reach the cap, and are not measured.
    const room = this.maxRecordBytes - this.pendingBytes;
    if (tail.length * 3 > room && Buffer.byteLength(tail, 'utf8') > room) throw this.tooLarge();
    return this.parts.length === 0 ? tail : this.parts.join('') + tail;
  }

  private tooLarge(): InputLimitError {
    const what =
      this.mode === 'array'
        ? `element ${this.index} of the JSON array starting on line ${this.startLine} is`
        : this.mode === 'garbage'
          ? 'a line is'
          : 'a JSON value is';
    return recordTooLarge(this.unitLine, this.maxRecordBytes, what);
  }

  private open(mode: 'value' | 'array'): void {
    this.mode = mode;
    this.depth = 1;
    this.inString = false;
    this.escaped = false;
    this.openedWithBrace = false;
  }

  private nextOrdinal(lineNo: number): number {
    this.lastOrdinal = lineNo === this.lastStartLine ? this.lastOrdinal + 1 : 1;
    this.lastStartLine = lineNo;
    return this.lastOrdinal;
  }

  private reset(): void {
    this.mode = 'none';
    this.parts = [];
    this.pendingBytes = 0;
    this.lineBreaks = 0;
    this.depth = 0;
    this.inString = false;
    this.escaped = false;
    this.inElement = false;
    this.afterComma = false;
  }
}

function fragment(text: string, line: number, ordinal: number, multiline: boolean): Fragment {
  return { text, line, ordinal, multiline, parsed: false };
}

/** The fast path: a line that is exactly one JSON object (or blank). Undefined when it is not. */
function parseWhole(line: string): { blank: boolean; value?: unknown } | undefined {
  let start = 0;
  while (start < line.length && isSpace(line.charCodeAt(start))) start++;
  if (start === line.length) return { blank: true };
  const c = line.charCodeAt(start);
  // Only objects: a lone `{` is the start of a document, which JSON.parse would reject anyway; arrays go the
  // slow way, element by element (parsed whole, a line of tiny elements makes millions of objects at once); and
  // scalars too, so that `42{…}` splits.
  if (c !== OPEN_BRACE) return undefined;
  try {
    return { blank: false, value: JSON.parse(start === 0 ? line : line.slice(start)) };
  } catch {
    return undefined;
  }
}

function isSpace(c: number): boolean {
  // space, tab, CR, LF, and the byte order mark (some files start with one)
  return c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a || c === 0xfeff;
}

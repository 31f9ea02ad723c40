/** One top-level JSON value (or something that failed to be one) found in the input. */
export interface Fragment {
  /** The text of the value, exactly as in the input (one line) or as lines joined by `\n`. */
  text: string;
  /** 1-based line where it starts. */
  line: number;
  /** True when the value spans several lines (a pretty-printed document). */
  multiline: boolean;
  /** The parsed value, when the splitter already parsed it (the fast path of one value per line). */
  value?: unknown;
  parsed: boolean;
}

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Splits text, fed line by line, into top-level JSON values, whatever the layout:
 *
 * - JSON Lines (one value per line: the fast path, one `JSON.parse` per line);
 * - values concatenated with no separator (`{…}{…}`), as Firehose writes records to S3 when no newline is
 *   added — the splitter tracks nesting depth and strings, so braces inside strings do not count;
 * - one document over many lines (a pretty-printed array or Lambda event).
 *
 * A value that never closes must not swallow the rest of the file: a raw newline cannot occur inside a JSON
 * string, and a new object starting at column 0 while an object is open means the open one was cut short.
 * Either ends the open value as a fragment of its own (it then fails to parse and becomes poison), and so
 * does a value over `maxPendingChars`. Anything between values that cannot start one (a scalar, garbage)
 * is a fragment up to the end of its line.
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
 * inputs in both layouts and any chunking.
 */
export class JsonSplitter {
  private parts: string[] = [];
  private pendingChars = 0;
  private startLine = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private openedWithBrace = false;

  constructor(private readonly maxPendingChars = 256 * 1024 * 1024) {}

  /** Feeds one line (without its line break); returns the fragments that ended on it. */
  push(line: string, lineNo: number): Fragment[] {
    const out: Fragment[] = [];
    // An object is open and a new one starts at column 0: the open one was cut short (JSON Lines).
    if (this.depth > 0 && this.openedWithBrace && line.charCodeAt(0) === OPEN_BRACE) this.flushOpen(out);
    if (this.depth === 0) {
      const fast = parseWhole(line);
      if (fast !== undefined) {
        if (fast.blank) return out;
        out.push({ text: line, line: lineNo, multiline: false, value: fast.value, parsed: true });
        return out;
      }
    }
    let segStart = 0;
    let i = 0;
    const n = line.length;
    while (i < n) {
      const c = line.charCodeAt(i);
      if (this.depth === 0) {
        if (isSpace(c)) {
          i++;
          continue;
        }
        if (c !== OPEN_BRACE && c !== OPEN_BRACKET) {
          out.push(fragment(line.slice(i).trimEnd(), lineNo, false));
          return out;
        }
        segStart = i;
        this.startLine = lineNo;
        this.depth = 1;
        this.inString = false;
        this.escaped = false;
        this.openedWithBrace = c === OPEN_BRACE;
        i++;
        continue;
      }
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === BACKSLASH) this.escaped = true;
        else if (c === QUOTE) this.inString = false;
      } else if (c === QUOTE) this.inString = true;
      else if (c === OPEN_BRACE || c === OPEN_BRACKET) this.depth++;
      else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        this.depth--;
        if (this.depth === 0) {
          const multiline = this.parts.length > 0;
          const text = multiline
            ? this.parts.join('') + line.slice(segStart, i + 1)
            : line.slice(segStart, i + 1);
          this.reset();
          out.push(fragment(text, this.startLine, multiline));
        }
      }
      i++;
    }
    if (this.depth > 0) {
      const rest = line.slice(segStart);
      this.parts.push(rest, '\n');
      this.pendingChars += rest.length + 1;
      // A raw line break cannot be inside a JSON string: the value is cut short.
      if (this.inString || this.pendingChars > this.maxPendingChars) this.flushOpen(out);
    }
    return out;
  }

  /** Ends the input: a value still open is returned as it is (it will fail to parse). */
  end(): Fragment[] {
    const out: Fragment[] = [];
    if (this.depth > 0) this.flushOpen(out);
    return out;
  }

  private flushOpen(out: Fragment[]): void {
    const text = this.parts.join('').replace(/\n$/, '');
    const multiline = this.parts.length > 2;
    this.reset();
    out.push(fragment(text, this.startLine, multiline));
  }

  private reset(): void {
    this.parts = [];
    this.pendingChars = 0;
    this.depth = 0;
    this.inString = false;
    this.escaped = false;
  }
}

function fragment(text: string, line: number, multiline: boolean): Fragment {
  return { text, line, multiline, parsed: false };
}

/** The fast path: a line that is exactly one JSON value (or blank). Undefined when it is not. */
function parseWhole(line: string): { blank: boolean; value?: unknown } | undefined {
  let start = 0;
  while (start < line.length && isSpace(line.charCodeAt(start))) start++;
  if (start === line.length) return { blank: true };
  const c = line.charCodeAt(start);
  // Only objects and arrays: a lone `{` or `[` is the start of a document, which JSON.parse would reject
  // anyway, and scalars go the slow way so that `42{…}` splits.
  if (c !== OPEN_BRACE && c !== OPEN_BRACKET) return undefined;
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

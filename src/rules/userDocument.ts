import { parse as parseYaml, YAMLParseError } from 'yaml';

/*
 * The checks every user-supplied document (a rules file, app metadata) passes before its schema: it parses as
 * YAML (JSON is YAML) with errors that say where without echoing the text, and no map in it uses a key that
 * JavaScript objects give a meaning of their own.
 */

/**
 * Keys refused in every user-supplied map. A schema drops `__proto__` silently (a rule's `attributes:
 * {__proto__: x}` would then match more than written), and `constructor` / `prototype` name members every
 * object inherits. Compared case-insensitively: attribute names are matched ignoring case.
 */
export const RESERVED_KEYS: readonly string[] = ['__proto__', 'constructor', 'prototype'];
const RESERVED = new Set(RESERVED_KEYS);

/** A path into a parsed document: map keys and list indexes. */
export type DocumentPath = ReadonlyArray<string | number>;

/** What the YAML error codes (yaml's ErrorCode) mean, in words that quote nothing of the file. */
const YAML_PROBLEMS: Readonly<Record<string, string>> = {
  DUPLICATE_KEY: 'a map key is given twice (keys must be unique)',
  BAD_INDENT: 'bad indentation',
  TAB_AS_INDENT: 'a tab used as indentation',
  MISSING_CHAR: 'a closing bracket, brace or quote is missing',
  UNEXPECTED_TOKEN: 'an unexpected character',
  MULTILINE_IMPLICIT_KEY: 'a key that spans lines (a missing colon or quote?)',
  BLOCK_AS_IMPLICIT_KEY: 'a nested block used as a key',
  BLOCK_IN_FLOW: 'a block inside [ ] or { }',
  BAD_DQ_ESCAPE: 'an invalid escape in a double-quoted string',
  BAD_SCALAR_START: 'a value starts with a reserved character',
  BAD_ALIAS: 'an alias to an unknown anchor',
  MULTIPLE_DOCS: 'more than one document',
  KEY_OVER_1024_CHARS: 'a key longer than 1024 characters',
  NON_STRING_KEY: 'a key that is not a string',
};

/**
 * Parses YAML or JSON. A syntax error becomes `Error` with its line, column and YAML error code only: the
 * parser's own message quotes the offending lines, and a file pointed at by mistake (a credentials file, say)
 * must not be printed back.
 */
export function parseUserDocument(text: string): { ok: true; doc: unknown } | { ok: false; message: string } {
  try {
    return { ok: true, doc: parseYaml(text) };
  } catch (err) {
    if (err instanceof YAMLParseError) {
      const pos = err.linePos?.[0];
      const where = pos === undefined ? '' : ` at line ${pos.line}, column ${pos.col}`;
      const what = YAML_PROBLEMS[err.code] ?? 'a syntax error';
      return { ok: false, message: `not valid YAML/JSON${where}: ${what} (${err.code})` };
    }
    // Not a syntax error (a document too large for the parser's alias limits, say): its kind, never its text.
    return { ok: false, message: `not valid YAML/JSON (${(err as Error).name})` };
  }
}

/** A node of the walk: its parent and its key there, so that a path is built only for what is reported. */
interface Visit {
  readonly node: unknown;
  readonly parent?: Visit;
  readonly key?: string | number;
}

const pathOf = (visit: Visit, last: string): DocumentPath => {
  const path: Array<string | number> = [last];
  for (let v: Visit | undefined = visit; v?.key !== undefined; v = v.parent) path.push(v.key);
  return path.reverse();
};

/**
 * Every place in a parsed document where a map uses a reserved key, in document order. Walks with its own
 * stack (a hostile document may nest deeply) and visits each node once: linear in the document's size.
 */
export function findReservedKeys(doc: unknown): DocumentPath[] {
  const found: DocumentPath[] = [];
  const stack: Visit[] = [{ node: doc }];
  while (stack.length > 0) {
    const visit = stack.pop() as Visit;
    const { node } = visit;
    if (node === null || typeof node !== 'object') continue;
    const children: Visit[] = [];
    if (Array.isArray(node)) {
      node.forEach((child, i) => {
        children.push({ node: child, parent: visit, key: i });
      });
    } else {
      for (const key of Object.keys(node)) {
        if (RESERVED.has(key.toLowerCase())) found.push(pathOf(visit, key));
        else children.push({ node: (node as Record<string, unknown>)[key], parent: visit, key });
      }
    }
    // Reversed onto the stack, so that the walk (and the report) follows the document's order.
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i] as Visit);
  }
  return found;
}

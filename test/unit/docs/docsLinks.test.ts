import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { documentFiles } from '../../../scripts/docs/run';

/**
 * Every relative link of README.md and docs/*.md reaches a file of the repository, and every `#anchor` a heading
 * of the page it names (GitHub's anchors: the heading's text, lower case, punctuation but `-` and `_` dropped,
 * spaces as `-`, a repeated heading numbered `-1`, `-2`…).
 */

const ROOT = join(__dirname, '..', '..', '..');

/** The text of a page outside fenced blocks and code spans, where a link is a link. */
function prose(text: string): string {
  return text.replace(/^(\s*)(`{3,})[^\n]*\n[\s\S]*?^\1\2\s*$/gm, '').replace(/``[^`]+``|`[^`\n]+`/g, '');
}

/** GitHub's anchor of a heading. */
function slug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // a link: its text
    .replace(/`/g, '')
    .replace(/<[^>]+>/g, '')
    .trim()
    .toLowerCase();
  return text.replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
}

/** The anchors of a page: its headings' (numbered when repeated) and explicit `<a id>`/`<a name>`. */
function anchorsOf(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  const withoutFences = text.replace(/^(\s*)(`{3,})[^\n]*\n[\s\S]*?^\1\2\s*$/gm, '');
  for (const m of withoutFences.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = slug(m[1] as string);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  for (const m of text.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(m[1] as string);
  return anchors;
}

interface Link {
  file: string;
  target: string;
  /** The link's text (empty for a reference definition). */
  text: string;
}

function linksOf(file: string): Link[] {
  const text = prose(readFileSync(join(ROOT, file), 'utf8'));
  const links: Link[] = [];
  // [text](target) and [text](target "title"); images too.
  for (const m of text.matchAll(/\[([^\]]*)\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
    links.push({ file, text: m[1] as string, target: m[2] as string });
  }
  // Reference definitions: [id]: target
  for (const m of text.matchAll(/^\s*\[[^\]]+\]:\s+(\S+)/gm))
    links.push({ file, text: '', target: m[1] as string });
  return links.filter((l) => !/^[a-z][a-z0-9+.-]*:/i.test(l.target));
}

const LINKS = documentFiles().flatMap(linksOf);

describe('the relative links of the docs', () => {
  it('are found in the README and docs/', () => {
    expect(LINKS.length).toBeGreaterThan(50);
    expect(LINKS.filter((l) => l.target.includes('#')).length).toBeGreaterThan(15);
  });

  it('reach a file of the repository', () => {
    const broken = LINKS.filter((l) => {
      const path = l.target.split('#')[0] as string;
      return path !== '' && !existsSync(join(ROOT, dirname(l.file), decodeURIComponent(path)));
    }).map((l) => `${l.file}: ${l.target}`);
    expect(broken).toEqual([]);
  });

  it('name an anchor the page has', () => {
    const anchors = new Map<string, Set<string>>();
    const broken = LINKS.filter((l) => l.target.includes('#'))
      .filter((l) => {
        const [path, anchor] = l.target.split('#') as [string, string];
        const page = path === '' ? l.file : normalize(relative(ROOT, join(ROOT, dirname(l.file), path)));
        if (!page.endsWith('.md')) return false;
        if (!anchors.has(page)) anchors.set(page, anchorsOf(readFileSync(join(ROOT, page), 'utf8')));
        return !anchors.get(page)?.has(decodeURIComponent(anchor));
      })
      .map((l) => `${l.file}: ${l.target}`);
    expect(broken).toEqual([]);
  });

  it('that name a numbered section (§N) lead to that section', () => {
    const wrong = LINKS.filter((l) => /§\d+/.test(l.text))
      .filter((l) => {
        const section = /§(\d+)/.exec(l.text)?.[1];
        const anchor = l.target.split('#')[1];
        if (anchor === undefined) return true; // names a section, links the page
        const numbered = /^(\d+)-/.exec(anchor);
        return numbered !== null && numbered[1] !== section;
      })
      .map((l) => `${l.file}: [${l.text}](${l.target})`);
    expect(wrong).toEqual([]);
  });

  it('computes anchors as GitHub does', () => {
    expect(slug('Rates: `--rates`')).toBe('rates---rates');
    expect(slug('8. Rollups')).toBe('8-rollups');
    expect(slug('SES and End User Messaging')).toBe('ses-and-end-user-messaging');
    expect(slug('The chart library: Chart.js')).toBe('the-chart-library-chartjs');
    expect(slug('Safety: the data is text')).toBe('safety-the-data-is-text');
    expect([...anchorsOf('# A\n## B\n## B\n```\n# not a heading\n```\n')]).toEqual(['a', 'b', 'b-1']);
  });
});

// Relative links and #anchors in Markdown, resolved the way GitHub renders them (test/unit/docs-links.test.ts).
import fs from 'node:fs';
import path from 'node:path';

/** The text outside fenced code blocks and inline code spans (links and headings there are not real). */
function prose(markdown: string): string[] {
  const lines: string[] = [];
  let fence: string | undefined;
  for (const line of markdown.split('\n')) {
    const marker = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (marker && (!fence || marker.startsWith(fence))) {
      fence = fence ? undefined : marker;
      lines.push('');
      continue;
    }
    lines.push(fence ? '' : line.replace(/`[^`]*`/g, ''));
  }
  return lines;
}

/** GitHub's heading ids: lower case, punctuation dropped, spaces to hyphens, repeats numbered -1, -2… */
export function headingIds(markdown: string): Set<string> {
  const ids = new Set<string>();
  const counts = new Map<string, number>();
  const raw = markdown.split('\n');
  prose(markdown).forEach((line, index) => {
    const heading = /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) {
      for (const match of line.matchAll(/<a\s+(?:name|id)="([^"]+)"/g)) ids.add(match[1]!);
      return;
    }
    // Inline code keeps its text in the id: take the heading from the raw line.
    const text = /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(raw[index]!)![1]!;
    const plain = text
      .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/<[^>]+>/g, '')
      .replace(/[`*_~]/g, (char) => (char === '_' ? '_' : ''));
    const base = plain.toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '').replace(/ /g, '-');
    const seen = counts.get(base) ?? 0;
    counts.set(base, seen + 1);
    ids.add(seen === 0 ? base : `${base}-${seen}`);
  });
  return ids;
}

export function links(markdown: string): string[] {
  const targets: string[] = [];
  for (const line of prose(markdown)) {
    for (const match of line.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) targets.push(match[1]!);
    for (const match of line.matchAll(/^\s*\[[^\]]+\]:\s*(\S+)/g)) targets.push(match[1]!);
  }
  return targets.filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target));
}

/** Every relative link of `page` (a path under `root`) whose file or heading does not exist. */
export function brokenLinks(root: string, page: string): string[] {
  const broken: string[] = [];
  for (const target of links(fs.readFileSync(path.join(root, page), 'utf8'))) {
    const [file, anchor] = target.split('#') as [string, string | undefined];
    const resolved = file === '' ? path.join(root, page) : path.join(root, path.dirname(page), decodeURIComponent(file));
    if (!fs.existsSync(resolved)) {
      broken.push(`${target} (no such file)`);
      continue;
    }
    if (anchor !== undefined && resolved.endsWith('.md') && !headingIds(fs.readFileSync(resolved, 'utf8')).has(decodeURIComponent(anchor))) {
      broken.push(`${target} (no such heading)`);
    }
  }
  return broken;
}

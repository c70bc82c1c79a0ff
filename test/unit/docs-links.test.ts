// Every relative link and #anchor in README.md and docs/*.md points at something that exists, with
// anchors computed the way GitHub computes heading ids — so moving text between pages loses no link.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { brokenLinks, headingIds } from '../helpers/markdown-links';

const ROOT = path.join(__dirname, '../..');
const pages = ['README.md', ...fs.readdirSync(path.join(ROOT, 'docs')).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`)];

test.each(pages)('every relative link and #anchor in %s resolves', (page) => {
  expect(brokenLinks(ROOT, page)).toEqual([]);
});

test('the slug rules match GitHub’s on the cases that bite', () => {
  const ids = headingIds(['# Keys, JWKS and rotation', '## Coprocessor (revocation at the edge)', '## `me` and sessions', '## Setup', '## Setup', '```', '# not a heading', '```'].join('\n'));
  expect([...ids]).toEqual(['keys-jwks-and-rotation', 'coprocessor-revocation-at-the-edge', 'me-and-sessions', 'setup', 'setup-1']);
});

test('a missing page, a missing heading and a link to a heading inside a code block are each reported; code is not read as links', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'docs-links-'));
  fs.mkdirSync(path.join(root, 'docs'));
  fs.writeFileSync(path.join(root, 'docs/a.md'), '# A\n\n## Real heading\n\n```sh\n# fake heading\n[x](nowhere.md)\n```\n');
  fs.writeFileSync(
    path.join(root, 'README.md'),
    '# R\n[ok](docs/a.md#real-heading) [self](#r) [gone](docs/b.md) [typo](docs/a.md#real-headings) [fenced](docs/a.md#fake-heading) `[code](x.md)` [web](https://example.com/x#y)\n',
  );
  try {
    expect(brokenLinks(root, 'README.md')).toEqual(['docs/b.md (no such file)', 'docs/a.md#real-headings (no such heading)', 'docs/a.md#fake-heading (no such heading)']);
    expect(brokenLinks(root, 'docs/a.md')).toEqual([]);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

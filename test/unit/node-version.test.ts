// The supported Node.js lines: the start-up check, package.json's "engines" and the process entry agree.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MINIMUM_NODE_VERSION, unsupportedNodeMessage } from '../../src/infra/node-version';

const ROOT = path.resolve(__dirname, '..', '..');

describe('supported Node.js versions', () => {
  it('accepts Node 24 and 22 from the minimum on', () => {
    for (const version of ['24.0.0', '24.22.3', '22.18.0', '22.23.5', '26.1.0']) expect(unsupportedNodeMessage(version)).toBeNull();
  });

  it('refuses Node 20, 21 and 22 before the minimum with one line naming the version needed', () => {
    for (const version of ['20.20.2', '21.7.3', '22.12.0', '22.17.1', '18.20.8']) {
      expect(unsupportedNodeMessage(version)).toBe(
        `Portcullis needs Node.js ${MINIMUM_NODE_VERSION} or newer (24 LTS recommended, 22 LTS supported); this is Node.js ${version}.`,
      );
    }
  });

  it('states the same minimum as package.json engines', () => {
    const engines = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
    expect(engines).toBe(`>=${MINIMUM_NODE_VERSION.replace(/\.0$/, '')}`);
  });

  it('stops the process entry on an old Node with exit 1 and that one line, before loading anything else', () => {
    // A preload that makes this Node report itself as 20.20.2: the entry must refuse it before it reads config.
    const dir = mkdtempSync(path.join(tmpdir(), 'portcullis-node-'));
    const preload = path.join(dir, 'old-node.cjs');
    writeFileSync(preload, "Object.defineProperty(process, 'versions', { value: { ...process.versions, node: '20.20.2' } });\n");
    try {
      const result = spawnSync(process.execPath, ['--require', preload, path.join(ROOT, 'dist', 'src', 'main.js')], {
        env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production' },
        encoding: 'utf8',
        timeout: 20_000,
      });
      expect(result.status).toBe(1);
      expect(result.stderr.trim()).toBe(unsupportedNodeMessage('20.20.2'));
      expect(result.stdout).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// The built process entry (dist/src/main.js) under bad configuration: one `config error:` line per
// problem on stderr, a non-zero exit, and no port ever opened (SPEC §2, §9).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config/config';
import { freePort } from '../helpers/waiting';

const ROOT = path.resolve(__dirname, '../..');
const ENTRY = path.join(ROOT, 'dist/src/main.js');
const EXIT_TIMEOUT_MS = 20_000;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Whether a TCP connection to PORT ever succeeded while the process ran. */
  portOpened: boolean;
}

/** Newest modification time of any file under dir. */
function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

let workDir: string;
let dataDir: string;
let port: number;

/** Only what the test sets: nothing inherited (no DATABASE_URL, REDIS_URL, NODE_ENV, CI...). */
function isolatedEnv(env: Record<string, string>): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: workDir, HOST: '127.0.0.1', PORT: String(port), DATA_DIR: dataDir, ...env };
}

/** Runs the entry with exactly `env` (plus the test's PORT, HOST and DATA_DIR), probing PORT until it exits. */
function runEntry(env: Record<string, string>): Promise<Run> {
  const child = spawn(process.execPath, [ENTRY], { cwd: workDir, env: isolatedEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));

  let running = true;
  let portOpened = false;
  const probing = (async () => {
    while (running) {
      if (await portAnswers(port)) portOpened = true;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  const killer = setTimeout(() => child.kill('SIGKILL'), EXIT_TIMEOUT_MS);
  return new Promise<Run>((resolve) => {
    child.once('exit', (code, signal) => {
      running = false;
      clearTimeout(killer);
      void probing.then(() => resolve({ code, signal, stdout, stderr, portOpened }));
    });
  });
}

const configErrorLines = (stderr: string) => stderr.split('\n').filter((line) => line.startsWith('config error: '));

beforeAll(() => {
  const stale = !existsSync(ENTRY) || statSync(ENTRY).mtimeMs < newestMtime(path.join(ROOT, 'src'));
  if (stale) {
    const build = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}${build.stderr}`);
  }
}, 120_000);

beforeEach(async () => {
  workDir = mkdtempSync(path.join(tmpdir(), 'portcullis-startup-'));
  dataDir = path.join(workDir, 'data');
  port = await freePort();
});
afterEach(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

describe('start-up with bad configuration', () => {
  it('prints one config error line per problem, exits non-zero, and never opens the port', async () => {
    const env = { NODE_ENV: 'production', JWT_SECRET: 'short', JWT_REFRESH_SECRET: 'also-short', ACCESS_TOKEN_TTL: 'abc' };
    const run = await runEntry(env);

    expect(run.signal).toBeNull();
    expect(run.code).not.toBe(0);
    expect(run.code).not.toBeNull();
    const lines = configErrorLines(run.stderr);
    expect(lines).toEqual([
      expect.stringMatching(/^config error: ACCESS_TOKEN_TTL .*"abc"/),
      expect.stringMatching(/^config error: JWT_SECRET must be at least 32 bytes/),
      expect.stringMatching(/^config error: JWT_REFRESH_SECRET must be at least 32 bytes/),
      expect.stringMatching(/^config error: DATABASE_URL is required in production/),
      expect.stringMatching(/^config error: REDIS_URL is required in production/),
      expect.stringMatching(/^config error: DATA_ENCRYPTION_KEY is required in production/),
      expect.stringMatching(/^config error: SMTP_URL is required in production/),
    ]);
    // The same problems loadConfig reports in-process, each on its own line, and nothing else on stderr.
    let expected: string[] = [];
    try {
      loadConfig(isolatedEnv(env));
    } catch (error) {
      if (error instanceof ConfigError) expected = error.problems;
    }
    expect(expected).toHaveLength(7);
    expect(lines).toEqual(expected.map((problem) => `config error: ${problem}`));
    expect(run.stderr.trim().split('\n')).toHaveLength(lines.length);
    expect(run.portOpened).toBe(false);
    expect(existsSync(dataDir)).toBe(false);
    // The probe does see a port once something listens on it (so `false` above means something).
    const listener = net.createServer().listen(port, '127.0.0.1');
    await new Promise((resolve) => listener.once('listening', resolve));
    expect(await portAnswers(port)).toBe(true);
    await new Promise((resolve) => listener.close(resolve));
  });

  it('refuses every embedded default under NODE_ENV=production alone', async () => {
    const run = await runEntry({ NODE_ENV: 'production' });

    expect(run.code).not.toBe(0);
    expect(run.code).not.toBeNull();
    expect(configErrorLines(run.stderr)).toEqual([
      expect.stringMatching(/^config error: DATABASE_URL is required in production/),
      expect.stringMatching(/^config error: REDIS_URL is required in production/),
      expect.stringMatching(/^config error: signing keys are required in production: set JWT_SECRET and JWT_REFRESH_SECRET/),
      expect.stringMatching(/^config error: DATA_ENCRYPTION_KEY is required in production/),
      expect.stringMatching(/^config error: SMTP_URL is required in production/),
    ]);
    expect(run.portOpened).toBe(false);
    expect(existsSync(dataDir)).toBe(false);
  });

  it('reads a .env file in the working directory and refuses its bad values too', async () => {
    writeFileSync(path.join(workDir, '.env'), 'COOKIE_SAMESITE=none\nCOOKIE_SECURE=false\n');
    const run = await runEntry({});

    expect(run.code).not.toBe(0);
    expect(configErrorLines(run.stderr)).toEqual([expect.stringMatching(/^config error: COOKIE_SAMESITE=none requires COOKIE_SECURE=true/)]);
    expect(run.portOpened).toBe(false);
  });
});

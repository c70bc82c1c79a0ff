// The two-command promise: with no configuration at all, the service runs on its embedded defaults;
// and the process entry starts and stops the coprocessor listener when COPROCESSOR_PORT is set.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { graphqlClient, ME, REGISTER, newUser } from '../helpers/graphql';

const ENTRY = path.resolve(__dirname, '..', '..', 'dist', 'src', 'main.js');

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('timed out');
}

describe('embedded dev mode (npm start with no configuration)', () => {
  let child: ChildProcess;
  let output = '';
  let dataDir: string;
  let port: number;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'portcullis-embedded-'));
    port = await freePort();
    // Only what a fresh shell has: no DATABASE_URL, REDIS_URL or keys.
    const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir };
    child = spawn(process.execPath, [ENTRY], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/ready`)).ok, 45_000);
  }, 60_000);

  afterAll(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('says loudly that it runs in single-instance dev mode', () => {
    expect(output).toContain('SINGLE-INSTANCE DEV MODE');
    expect(output).toMatch(/embedded PostgreSQL \(PGlite\)/);
    expect(output).toContain('in-process session store');
    expect(output).toContain('generated dev keys');
  });

  it('registers a user and answers me with the returned token', async () => {
    const client = graphqlClient(`http://127.0.0.1:${port}/graphql`);
    const input = newUser();
    const registered = await client.gql(REGISTER, { input });
    expect(registered.errors).toBeUndefined();
    const me = await client.gql(ME, {}, { token: registered.data!.register.accessToken });
    expect(me.data!.me).toMatchObject({ email: input.email, name: input.name });
  });

  it('finishes in-flight work and exits 0 on SIGTERM', async () => {
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});

describe('the process entry with COPROCESSOR_PORT set', () => {
  let child: ChildProcess;
  let output = '';
  let dataDir: string;
  let port: number;
  let coprocessorPort: number;
  const routerRequest = readFileSync(path.join(__dirname, '../fixtures/coprocessor/router-request.json'), 'utf8');
  const post = (target: number) =>
    fetch(`http://127.0.0.1:${target}/coprocessor`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: routerRequest });

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'portcullis-coprocessor-'));
    [port, coprocessorPort] = [await freePort(), await freePort()];
    const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, COPROCESSOR_PORT: String(coprocessorPort) };
    child = spawn(process.execPath, [ENTRY], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/ready`)).ok, 45_000);
  }, 60_000);

  afterAll(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves the coprocessor on its own port, on 127.0.0.1, and not on the public one', async () => {
    const coprocessed = await post(coprocessorPort);
    const publicPort = await post(port);

    expect(output).toContain(`coprocessor at http://127.0.0.1:${coprocessorPort}/coprocessor`);
    expect(coprocessed.status).toBe(200);
    expect(((await coprocessed.json()) as { control: unknown }).control).toBe('continue');
    expect(publicPort.status).toBe(404);
  });

  it('closes the coprocessor listener on SIGTERM and exits 0', async () => {
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');

    expect(await exited).toBe(0);
    await expect(post(coprocessorPort)).rejects.toThrow();
  });
});

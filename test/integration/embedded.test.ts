// The two-command promise: with no configuration at all, the service runs on its embedded defaults;
// and the process entry starts and stops the coprocessor listener when COPROCESSOR_PORT is set.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { graphqlClient, LOGIN, ME, REGISTER, newUser } from '../helpers/graphql';
import { CONFIRM_TOTP, mfaChallengeOf, START_TOTP, totpCode, VERIFY_MFA } from '../helpers/mfa';
import { freePort, until } from '../helpers/waiting';

const ENTRY = path.resolve(__dirname, '..', '..', 'dist', 'src', 'main.js');

interface Entry {
  child: ChildProcess;
  port: number;
  dataDir: string;
  /** Everything the process printed so far, stdout and stderr. */
  output(): string;
  cleanUp(): void;
}

/** Starts dist/src/main.js with only what a fresh shell has (no DATABASE_URL, REDIS_URL or keys), plus `extraEnv`. */
async function startEntry(extraEnv: Record<string, string> = {}): Promise<Entry> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'portcullis-embedded-'));
  const port = await freePort();
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, ...extraEnv };
  const child = spawn(process.execPath, [ENTRY], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await until(() => fetch(`http://127.0.0.1:${port}/ready`).then((response) => response.ok, () => false), 45_000, 200);
  return {
    child,
    port,
    dataDir,
    output: () => output,
    cleanUp() {
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const exitCodeOf = (child: ChildProcess) => new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

describe('embedded dev mode (npm start with no configuration)', () => {
  let entry: Entry;

  beforeAll(async () => {
    entry = await startEntry();
  }, 60_000);

  afterAll(() => entry.cleanUp());

  it('says loudly that it runs in single-instance dev mode', () => {
    expect(entry.output()).toContain('SINGLE-INSTANCE DEV MODE');
    expect(entry.output()).toMatch(/embedded PostgreSQL \(PGlite\)/);
    expect(entry.output()).toContain('in-process session store');
    expect(entry.output()).toContain('generated dev keys');
    expect(entry.output()).toContain('a generated data encryption key');
  });

  it('registers a user and answers me with the returned token', async () => {
    const client = graphqlClient(`http://127.0.0.1:${entry.port}/graphql`);
    const input = newUser();
    const registered = await client.gql(REGISTER, { input });
    expect(registered.errors).toBeUndefined();
    const me = await client.gql(ME, {}, { token: registered.data!.register.accessToken });
    expect(me.data!.me).toMatchObject({ email: input.email, name: input.name });
  });

  it('turns TOTP on and signs in with the second factor, on the embedded stores and a data key made under DATA_DIR', async () => {
    const client = graphqlClient(`http://127.0.0.1:${entry.port}/graphql`);
    const input = newUser();
    const token = (await client.gql(REGISTER, { input })).data!.register.accessToken as string;
    const { secret } = (await client.gql(START_TOTP, {}, { token })).data!.startTotpEnrollment;
    const now = Math.floor(Date.now() / 1000);
    expect((await client.gql(CONFIRM_TOTP, { code: await totpCode(secret, now) }, { token })).data!.confirmTotpEnrollment.codes).toHaveLength(10);
    expect(existsSync(path.join(entry.dataDir, 'dev-data-key.base64'))).toBe(true);

    const { mfaToken } = mfaChallengeOf(await client.gql(LOGIN, { input: { email: input.email, password: input.password } }));
    // The next step's code (accepted within ±1 step), since the confirmation used this step's.
    const verified = await client.gql(VERIFY_MFA, { mfaToken, code: await totpCode(secret, now + 30) });
    expect(verified.errors).toBeUndefined();
    expect(verified.data!.verifyMfa.user).toMatchObject({ email: input.email, mfaEnabled: true });
    const options = await client.gql('mutation { passkeyLoginOptions }');
    expect(options.data!.passkeyLoginOptions).toMatchObject({ rpId: 'localhost', challenge: expect.any(String) });
  });

  it('finishes in-flight work and exits 0 on SIGTERM', async () => {
    const exited = exitCodeOf(entry.child);
    entry.child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});

describe('the process entry with COPROCESSOR_PORT set', () => {
  let entry: Entry;
  let coprocessorPort: number;
  const routerRequest = readFileSync(path.join(__dirname, '../fixtures/coprocessor/router-request.json'), 'utf8');
  const post = (target: number) =>
    fetch(`http://127.0.0.1:${target}/coprocessor`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: routerRequest });

  beforeAll(async () => {
    coprocessorPort = await freePort();
    entry = await startEntry({ COPROCESSOR_PORT: String(coprocessorPort) });
  }, 60_000);

  afterAll(() => entry.cleanUp());

  it('serves the coprocessor on its own port, on 127.0.0.1, and not on the public one', async () => {
    const coprocessed = await post(coprocessorPort);
    const publicPort = await post(entry.port);

    expect(entry.output()).toContain(`coprocessor at http://127.0.0.1:${coprocessorPort}/coprocessor`);
    expect(coprocessed.status).toBe(200);
    expect(((await coprocessed.json()) as { control: unknown }).control).toBe('continue');
    expect(publicPort.status).toBe(404);
  });

  it('closes the coprocessor listener on SIGTERM and exits 0', async () => {
    const exited = exitCodeOf(entry.child);
    entry.child.kill('SIGTERM');

    expect(await exited).toBe(0);
    await expect(post(coprocessorPort)).rejects.toThrow();
  });
});

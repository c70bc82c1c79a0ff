// `npm run admin:create` (issue 6), run as a child process against this file's database and Redis.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { codeOf, logIn, newAccount } from '../helpers/accounts';
import { LOGIN, ME, newUser } from '../helpers/graphql';
import { createTestServer, releaseTestResources, type TestServer } from '../helpers/test-server';

const SCRIPT = path.resolve(__dirname, '..', '..', 'dist', 'scripts', 'admin-create.js');
const PASSWORD = 'admin password from stdin';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

// The embedded PGlite is one process's: the CLI can only share a real PostgreSQL with the test server.
const describeWithPostgres = process.env.PORTCULLIS_TEST_PG ? describe : describe.skip;

let server: TestServer;

function run(args: string[], options: { stdin?: string; env?: Record<string, string> } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const { ADMIN_PASSWORD: _ignored, ...parentEnv } = process.env;
    const child = spawn(process.execPath, [SCRIPT, ...args], { env: { ...parentEnv, ...server.env, ...options.env }, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.stdin ?? '');
  });
}

async function rowsFor(email: string) {
  const result = await server.database.pool.query<{ id: string; role: string; active: boolean; password_hash: string }>(
    'SELECT id, role, active, password_hash FROM users WHERE email = $1',
    [email],
  );
  return result.rows;
}

describeWithPostgres('admin:create', () => {
  beforeAll(async () => {
    server = await createTestServer({ env: { RATE_LIMIT_LOGIN_PER_IP: '1000', RATE_LIMIT_REGISTER_PER_IP: '1000' } });
  });
  afterAll(async () => {
    await server.close();
    await releaseTestResources();
  });

  it('creates an ADMIN with the password piped on stdin, who can then log in as ADMIN', async () => {
    const { email } = newUser();

    const result = await run(['--email', `  ${email.toUpperCase()} `, '--name', 'Ada Admin'], { stdin: `${PASSWORD}\n` });

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const [row] = await rowsFor(email);
    expect(row).toMatchObject({ role: 'ADMIN', active: true });
    expect(result.stdout).toBe(`admin:create: created admin ${email} (${row!.id})\n`);
    const login = await server.gql(LOGIN, { input: { email, password: PASSWORD } });
    expect(login.data!.login.user).toMatchObject({ email, role: 'ADMIN', name: 'Ada Admin' });
    const events = await server.database.pool.query(`SELECT type, reason FROM auth_events WHERE user_id = $1 AND type = 'ROLE_CHANGED'`, [row!.id]);
    expect(events.rows).toEqual([{ type: 'ROLE_CHANGED', reason: 'USER->ADMIN (admin:create, created)' }]);
  });

  it('reads the password from ADMIN_PASSWORD, and a second run changes nothing, not even the password', async () => {
    const { email } = newUser();
    const first = await run(['--email', email], { env: { ADMIN_PASSWORD: PASSWORD } });
    expect(first.code).toBe(0);
    const before = await rowsFor(email);

    const second = await run(['--email', email], { stdin: 'a different password entirely' });

    expect(second.code).toBe(0);
    expect(second.stdout).toContain(`already an admin, nothing changed: ${email}`);
    expect(await rowsFor(email)).toEqual(before);
    expect((await server.gql(LOGIN, { input: { email, password: PASSWORD } })).errors).toBeUndefined();
  });

  it("promotes and enables an existing user without changing the password, and revokes the user's sessions", async () => {
    const account = await newAccount(server);
    await server.database.pool.query('UPDATE users SET active = false WHERE id = $1', [account.id]);

    const result = await run(['--email', account.email]);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`promoted to admin ${account.email} (${account.id})`);
    expect(await rowsFor(account.email)).toEqual([expect.objectContaining({ id: account.id, role: 'ADMIN', active: true })]);
    expect(codeOf(await server.gql(ME, {}, { token: account.accessToken }))).toBe('UNAUTHENTICATED');
    const again = await logIn(server, account);
    expect(again.response.data!.login.user.role).toBe('ADMIN');
  });

  it('refuses a password on the command line (exit 2) and creates nothing', async () => {
    const { email } = newUser();
    for (const args of [['--email', email, '--password', PASSWORD], ['--email', email, `--password=${PASSWORD}`]]) {
      const result = await run(args);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('never pass a password on the command line');
      expect(result.stderr).not.toContain(PASSWORD);
    }
    expect(await rowsFor(email)).toEqual([]);
  });

  it('prints usage (exit 2) without --email or with an unknown option', async () => {
    for (const args of [[], ['--mail', 'x@example.com']]) {
      const result = await run(args, { stdin: PASSWORD });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('usage: npm run admin:create -- --email <email>');
    }
  });

  it('refuses bad input with exit 1 and one line per problem, creating nothing', async () => {
    const { email } = newUser();
    const cases: Array<[string[], string | undefined, string]> = [
      [['--email', email], '', 'admin:create: password is required to create a new admin'],
      [['--email', email], 'short', 'admin:create: password must be at least 8 characters'],
      [['--email', 'not-an-email'], PASSWORD, 'admin:create: email must be a valid email address'],
      [['--email', 'ada\u0001@example.com'], PASSWORD, 'admin:create: email must not contain control characters'],
      [['--email', email, '--name', 'A'], PASSWORD, 'admin:create: name must be at least 2 characters'],
    ];
    for (const [args, stdin, message] of cases) {
      const result = await run(args, { stdin });
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(`${message}\n`);
    }
    expect(await rowsFor(email)).toEqual([]);
  });

  it('exits 1 with a clear line when PostgreSQL cannot be reached', async () => {
    const result = await run(['--email', newUser().email], { stdin: PASSWORD, env: { DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/nowhere' } });

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^admin:create: .+\n$/);
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });
});

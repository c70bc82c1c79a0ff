// PostgreSQL behind a pooler (SPEC §13, docs/operations.md): the core flows through Debian's PgBouncer
// in transaction mode, started here with a config of its own, with two instances sharing it. In that
// mode a session's server connection changes between transactions: no named prepared statements, no
// session state, no session-level advisory lock may be relied on.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { logIn, newAccount } from '../helpers/accounts';
import { LOGOUT, ME, REFRESH } from '../helpers/graphql';
import { postgresAnswers, realPostgresUrl } from '../helpers/backends';
import { createTestServer, releaseTestResources, type TestServer } from '../helpers/test-server';
import { migrate } from '../../src/infra/migrate';
import { freePort, until } from '../helpers/waiting';

const PGBOUNCER = '/usr/sbin/pgbouncer';
const postgres = realPostgresUrl();
const runnable = postgres && existsSync(PGBOUNCER);
if (!runnable) console.log(`pgbouncer: skipped, it needs the real PostgreSQL and ${PGBOUNCER} (apt-get install pgbouncer)`);

const SESSIONS = /* GraphQL */ `query { sessions { id } }`;

(runnable ? describe : describe.skip)('the core flows through PgBouncer in transaction mode', () => {
  let bouncer: ChildProcess;
  let dir: string;
  let a: TestServer;
  let b: TestServer;
  let bouncedUrl: string;

  beforeAll(async () => {
    // The file's own database (cloned from the migrated template), then PgBouncer in front of it.
    const direct = await createTestServer();
    const database = new URL(direct.config.databaseUrl!).pathname.slice(1);
    await direct.close();

    dir = mkdtempSync(path.join(tmpdir(), 'portcullis-pgbouncer-'));
    chmodSync(dir, 0o755); // PgBouncer refuses to run as root: it runs as nobody and must read these
    const port = await freePort();
    const target = new URL(postgres!);
    writeFileSync(
      path.join(dir, 'pgbouncer.ini'),
      [
        '[databases]',
        `portcullis = host=${target.hostname} port=${target.port || 5432} dbname=${database} user=${decodeURIComponent(target.username) || 'postgres'}`,
        '[pgbouncer]',
        'listen_addr = 127.0.0.1',
        `listen_port = ${port}`,
        'auth_type = trust',
        `auth_file = ${path.join(dir, 'userlist.txt')}`,
        'pool_mode = transaction',
        // Fewer server connections than the two instances' pools hold clients (2 × 10): they must share.
        'default_pool_size = 5',
        'max_client_conn = 100',
        'unix_socket_dir =',
        'ignore_startup_parameters = extra_float_digits,options',
        '',
      ].join('\n'),
    );
    writeFileSync(path.join(dir, 'userlist.txt'), `"${decodeURIComponent(target.username) || 'postgres'}" ""\n`);
    chmodSync(path.join(dir, 'pgbouncer.ini'), 0o644);
    chmodSync(path.join(dir, 'userlist.txt'), 0o644);
    const asRoot = process.getuid?.() === 0;
    bouncer = spawn(PGBOUNCER, [...(asRoot ? ['-u', 'nobody'] : []), path.join(dir, 'pgbouncer.ini')], { stdio: 'ignore' });
    bouncedUrl = `postgresql://${target.username || 'postgres'}@127.0.0.1:${port}/portcullis`;
    await until(() => postgresAnswers(bouncedUrl), 10_000);

    a = await createTestServer({ databaseUrl: bouncedUrl });
    b = await createTestServer({ shareWith: a });
  }, 40_000);

  afterAll(async () => {
    await b?.close();
    await a?.close();
    if (bouncer && bouncer.exitCode === null) {
      const exited = new Promise((resolve) => bouncer.once('exit', resolve));
      bouncer.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
    await releaseTestResources();
  });

  it('runs the migrations through it, with the lock taken per transaction, even from two migrators at once', async () => {
    const pools = [new pg.Pool({ connectionString: bouncedUrl, max: 1 }), new pg.Pool({ connectionString: bouncedUrl, max: 1 })];
    try {
      expect(await Promise.all(pools.map((pool) => migrate(pool)))).toEqual([[], []]);
      const locks = await pools[0]!.query(`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory'`);
      expect(locks.rows[0].n).toBe(0); // nothing left held on a pooled server connection
    } finally {
      await Promise.all(pools.map((pool) => pool.end()));
    }
  });

  it('registers, logs in, answers me, refreshes, lists sessions and logs out, across two instances', async () => {
    const account = await newAccount(a);
    const second = await logIn(b, account);
    expect((await a.gql(ME, {}, { token: second.accessToken })).data!.me.id).toBe(account.id);

    const refreshed = await a.gql(REFRESH, { refreshToken: second.refreshToken });
    expect(refreshed.errors).toBeUndefined();
    const token = refreshed.data!.refresh.accessToken as string;
    const sessions = await b.gql(SESSIONS, {}, { token });
    expect(sessions.errors).toBeUndefined();
    expect(sessions.data!.sessions).toHaveLength(2);

    expect((await b.gql(LOGOUT, { allSessions: true }, { token })).data).toEqual({ logout: true });
    expect((await a.gql(ME, {}, { token: account.accessToken })).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('serves 60 concurrent logins and me requests from both instances over 5 server connections', async () => {
    // One login per account at a time: concurrent logins of one account would meet its abuse limit first.
    const accounts = await Promise.all(Array.from({ length: 20 }, () => newAccount(a)));
    const results = await Promise.all(
      Array.from({ length: 60 }, async (_, index) => {
        const account = accounts[Math.floor(index / 3)]!;
        const server = index % 2 ? a : b;
        if (index % 3 === 0) return (await logIn(server, account)).id === account.id;
        return (await server.gql(ME, {}, { token: account.accessToken })).data?.me.id === account.id;
      }),
    );
    expect(results.every(Boolean)).toBe(true);
  });
});



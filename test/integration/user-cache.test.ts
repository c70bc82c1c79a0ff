// The per-instance user cache (USER_CACHE_TTL): `me` is served without PostgreSQL, yet every change
// made through the users layer, on any instance, is seen at once everywhere, and a lost change feed
// empties the cache instead of serving stale users.
import { logIn, newAccount, newAdmin } from '../helpers/accounts';
import { ME, REFRESH, registerUser } from '../helpers/graphql';
import { realRedisUrl } from '../helpers/backends';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy';
import { createTestServer, releaseTestResources, type TestServer } from '../helpers/test-server';
import { until } from '../helpers/waiting';
import { CachedUserRepository } from '../../src/users/cached-user.repository';
import { PrismaUserRepository } from '../../src/users/user.repository';
import type { UserRecord, UserRepository } from '../../src/users/user';

const closers: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const close of closers.reverse()) await close();
  await releaseTestResources();
});

/** The users layer of another instance (sharing `server`'s stores), the way an admin write would use it. */
function usersLayerOf(instance: TestServer): CachedUserRepository {
  return new CachedUserRepository(new PrismaUserRepository(instance.database.prisma), instance.userChanges, instance.config.userCache);
}

/** Changes a row behind the users layer's back, as only a migration or a DBA would. */
async function renameInDatabase(server: TestServer, userId: string, name: string): Promise<void> {
  await server.database.pool.query('UPDATE users SET name = $1 WHERE id = $2', [name, userId]);
}

async function nameSeenBy(server: TestServer, token: string): Promise<string> {
  const me = await server.gql(ME, {}, { token });
  expect(me.errors).toBeUndefined();
  return me.data!.me.name as string;
}

describe('two instances sharing PostgreSQL and Redis', () => {
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    a = await createTestServer();
    closers.push(() => a.close());
    b = await createTestServer({ shareWith: a });
    closers.push(() => b.close());
  });

  it('serves me from its cache: a row changed behind the users layer is not read again until invalidated', async () => {
    const { accessToken, user } = await registerUser(a);
    const before = await nameSeenBy(b, accessToken);

    await renameInDatabase(a, user.id, 'Changed Behind The Back');

    expect(await nameSeenBy(b, accessToken)).toBe(before);
    await usersLayerOf(a).invalidate(user.id);
    expect(await nameSeenBy(b, accessToken)).toBe('Changed Behind The Back');
  });

  it('sees a change made through the users layer on the other instance at once', async () => {
    const { accessToken, user } = await registerUser(a);
    await nameSeenBy(a, accessToken);
    await nameSeenBy(b, accessToken); // both instances now hold the user

    await renameInDatabase(a, user.id, 'Renamed Everywhere');
    await usersLayerOf(a).invalidate(user.id);

    expect(await nameSeenBy(a, accessToken)).toBe('Renamed Everywhere');
    expect(await nameSeenBy(b, accessToken)).toBe('Renamed Everywhere');
  });

  it('never serves a user disabled on the other instance: me is refused at once and refresh revokes the session', async () => {
    const { accessToken, refreshToken, user } = await registerUser(a);
    await nameSeenBy(b, accessToken);

    await a.database.pool.query('UPDATE users SET active = false WHERE id = $1', [user.id]);
    await usersLayerOf(a).invalidate(user.id);

    const me = await b.gql(ME, {}, { token: accessToken });
    expect(me.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(me.data).toBeNull();
    const refresh = await b.gql(REFRESH, { refreshToken });
    expect(refresh.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(refresh.data).toBeNull();
    expect(await b.sessions.ownerOf(JSON.parse(Buffer.from(accessToken.split('.')[1]!, 'base64url').toString()).sid, user.id)).toBeNull();
  });

  it('shows a role set by an admin on one instance at once on the other, and serves a re-enabled user again', async () => {
    const admin = await newAdmin(a);
    const user = await newAccount(a);
    const meOn = (server: TestServer, token: string) => server.gql('{ me { id role } }', {}, { token });
    expect((await meOn(b, user.accessToken)).data?.me.role).toBe('USER'); // b caches the user

    const promoted = await a.gql('mutation ($id: ID!) { setUserRole(id: $id, role: ADMIN) { role } }', { id: user.id }, { token: admin.accessToken });
    expect(promoted.errors).toBeUndefined();
    const again = await logIn(a, user);
    expect((await meOn(b, again.accessToken)).data?.me.role).toBe('ADMIN');

    const disabled = await a.gql('mutation ($id: ID!) { disableUser(id: $id) { id } }', { id: user.id }, { token: admin.accessToken });
    expect(disabled.errors).toBeUndefined();
    const refused = await meOn(b, again.accessToken);
    expect(refused.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(refused.data).toBeNull();
    const enabled = await a.gql('mutation ($id: ID!) { enableUser(id: $id) { id } }', { id: user.id }, { token: admin.accessToken });
    expect(enabled.errors).toBeUndefined();
    const back = await logIn(a, user);
    expect((await meOn(b, back.accessToken)).data?.me).toEqual({ id: user.id, role: 'ADMIN' });
  });

  it('never serves a user deleted through the users layer of the other instance', async () => {
    const { accessToken, user } = await registerUser(a);
    await nameSeenBy(b, accessToken);

    await usersLayerOf(a).delete(user.id);

    const me = await b.gql(ME, {}, { token: accessToken });
    expect(me.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(me.data).toBeNull();
  });
});

describe('a read racing an invalidation', () => {
  it('does not keep the copy it read before the change: the next read goes to PostgreSQL', async () => {
    const server = await createTestServer();
    closers.push(() => server.close());
    const { user } = await registerUser(server);
    const stored = new PrismaUserRepository(server.database.prisma);
    let readDone!: () => void;
    const read = new Promise<void>((resolve) => (readDone = resolve));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    // The real read, held after PostgreSQL answered until the change has been announced.
    const held: UserRepository = Object.assign(Object.create(stored) as UserRepository, {
      findById: async (id: string): Promise<UserRecord | null> => {
        const row = await stored.findById(id);
        readDone();
        await gate;
        return row;
      },
    });
    const users = new CachedUserRepository(held, server.userChanges, server.config.userCache);
    const heard = new Promise<void>((resolve) => server.userChanges.subscribe((id) => id === user.id && resolve()));

    const racing = users.findById(user.id);
    await read;
    await renameInDatabase(server, user.id, 'After The Race');
    await usersLayerOf(server).invalidate(user.id);
    await heard;
    release();

    expect((await racing)?.name).not.toBe('After The Race'); // it read before the change
    expect((await users.findById(user.id))?.name).toBe('After The Race');
  });
});

describe('with USER_CACHE_TTL=0', () => {
  it('reads the viewer from PostgreSQL on every request', async () => {
    const server = await createTestServer({ env: { USER_CACHE_TTL: '0' } });
    closers.push(() => server.close());
    const { accessToken, user } = await registerUser(server);
    await nameSeenBy(server, accessToken);

    await renameInDatabase(server, user.id, 'Read Every Time');

    expect(await nameSeenBy(server, accessToken)).toBe('Read Every Time');
  });
});

// The change feed can only be cut off on the real Redis.
const redisUrl = realRedisUrl();
(redisUrl ? describe : describe.skip)('when the instance loses its change feed', () => {
  let proxy: TcpProxy;
  let writer: TestServer;
  let reader: TestServer;
  beforeAll(async () => {
    const target = new URL(redisUrl!);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
    closers.push(() => proxy.close());
    writer = await createTestServer();
    closers.push(() => writer.close());
    reader = await createTestServer({ shareWith: writer, redisUrl: proxy.proxied(redisUrl!) });
    closers.push(() => reader.close());
    await until(async () => reader.userChanges.live, 5_000);
  });
  afterEach(async () => {
    await proxy.restore();
    await until(async () => reader.userChanges.live && (await reader.sessions.ping().then(() => true, () => false)), 5_000);
  });

  it.each(['refuse', 'freeze'] as const)(
    'answers SERVICE_UNAVAILABLE while cut (%s), then serves a change it could not hear, as its cache was dropped',
    async (mode) => {
      const { accessToken, user } = await registerUser(writer);
      const before = await nameSeenBy(reader, accessToken);

      await proxy.cut(mode);
      await renameInDatabase(writer, user.id, `Renamed While Cut ${mode}`);
      await usersLayerOf(writer).invalidate(user.id); // published, but the reader cannot hear it
      const during = await reader.gql(ME, {}, { token: accessToken });
      expect(during.status).toBe(503);
      expect(during.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
      expect(during.data ?? null).toBeNull();
      expect(during.text).not.toContain(before);

      await proxy.restore();
      await until(async () => (await reader.gql(ME, {}, { token: accessToken })).status === 200, 5_000);
      expect(await nameSeenBy(reader, accessToken)).toBe(`Renamed While Cut ${mode}`);
    },
  );
});

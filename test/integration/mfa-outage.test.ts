// The second factor fails closed (SPEC §5): with Redis (mfaToken state, challenges, limits) or PostgreSQL
// (factors, passkeys) cut off behind a TCP proxy, verifyMfa answers SERVICE_UNAVAILABLE (503), never a
// session; when the store returns, the same mfaToken and code work. Passkey sign-in options need neither.
import { newAccount } from '../helpers/accounts';
import { realPostgresUrl, realRedisUrl } from '../helpers/backends';
import { LOGIN } from '../helpers/graphql';
import { enrollTotp, mfaChallengeOf, movableClock, totpCode, VERIFY_MFA } from '../helpers/mfa';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy';
import { createTestServer, releaseTestResources, type TestServer } from '../helpers/test-server';

const closers: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const close of closers.reverse()) await close();
  await releaseTestResources();
});

const endpoint = (url: string) => ({ host: new URL(url).hostname, port: Number(new URL(url).port) });

async function behindProxy(store: 'redis' | 'postgres', clock: ReturnType<typeof movableClock>): Promise<{ server: TestServer; proxy: TcpProxy }> {
  const direct = await createTestServer({ clock });
  closers.push(() => direct.close());
  const url = store === 'redis' ? direct.env.REDIS_URL! : direct.env.DATABASE_URL!;
  const proxy = await startTcpProxy(endpoint(url));
  closers.push(() => proxy.close());
  const server = await createTestServer({ clock, ...(store === 'redis' ? { redisUrl: proxy.proxied(url) } : { databaseUrl: proxy.proxied(url) }) });
  closers.push(() => server.close());
  return { server, proxy };
}

const stores = [...(realRedisUrl() ? (['redis'] as const) : []), ...(realPostgresUrl() ? (['postgres'] as const) : [])];

// The in-process stores and the embedded PGlite cannot be cut off: this needs the real ones (as in CI).
if (stores.length > 0) {
  describe.each(stores)('while %s is unreachable', (store) => {
    it('answers verifyMfa with SERVICE_UNAVAILABLE (passkey sign-in options, which need no store, still served), then finishes the same login once it is back', async () => {
      const clock = movableClock();
      const { server, proxy } = await behindProxy(store, clock);
      const account = await newAccount(server);
      const { secret } = await enrollTotp(server, account, clock);
      const { mfaToken } = mfaChallengeOf(await server.gql(LOGIN, { input: { email: account.email, password: account.password } }));
      const code = await totpCode(secret, clock());

      await proxy.cut('refuse');
      const during = await server.gql(VERIFY_MFA, { mfaToken, code });
      const options = await server.gql('mutation { passkeyLoginOptions(email: "someone@example.com") }');
      await proxy.restore();

      // Sign-in options are signed, not stored: with either store down they are still served.
      expect(options.errors).toBeUndefined();
      expect(typeof options.data!.passkeyLoginOptions.challenge).toBe('string');
      expect(during.status).toBe(503);
      expect(during.errors![0]!.extensions!.code).toBe('SERVICE_UNAVAILABLE');
      expect(during.cookies.access_token).toBeUndefined();
      let after = await server.gql(VERIFY_MFA, { mfaToken, code });
      for (let attempt = 0; attempt < 30 && after.errors?.[0]?.extensions?.code === 'SERVICE_UNAVAILABLE'; attempt += 1) {
        await new Promise((resolve) => setTimeout(resolve, 200)); // the client reconnects by itself
        after = await server.gql(VERIFY_MFA, { mfaToken, code });
      }
      expect(after.errors).toBeUndefined();
      expect(after.data!.verifyMfa.user.id).toBe(account.id);
    }, 30_000);
  });
}

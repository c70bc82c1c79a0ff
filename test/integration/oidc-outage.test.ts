// Store outages during provider sign-in (SPEC §5, §12): with Redis or PostgreSQL behind a TCP proxy we
// cut, the flow fails closed with ?error=service_unavailable (never a 500, never signed in) and works
// again once the store is back.
import { Browser } from '../helpers/browser';
import { realPostgresUrl, realRedisUrl } from '../helpers/backends';
import { APP_URL, startOidcTestbed, type OidcTestbed } from '../helpers/oidc';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy';
import { releaseTestResources } from '../helpers/test-server';

const endpoint = (url: string) => ({ host: new URL(url).hostname, port: Number(new URL(url).port) });

async function waitUntilReady(bed: OidcTestbed): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((await fetch(`${bed.publicUrl}/ready`)).status !== 200) {
    if (Date.now() > deadline) throw new Error('the service did not become ready again');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

afterAll(async () => {
  await releaseTestResources();
});

const stores = [
  ['Redis', realRedisUrl(), 'redisUrl'],
  ['PostgreSQL', realPostgresUrl(), 'databaseUrl'],
] as const;

describe.each(stores.filter(([, url]) => url))('with %s cut', (name, url, option) => {
  let proxy: TcpProxy;
  let bed: OidcTestbed;
  let counter = 0;

  beforeAll(async () => {
    let target = url!;
    if (option === 'databaseUrl') {
      // This file's own database, known once a server has made it (the real URL is the admin database).
      const probe = await startOidcTestbed();
      target = probe.server.config.databaseUrl!;
      await probe.close();
    }
    proxy = await startTcpProxy(endpoint(target));
    bed = await startOidcTestbed({ [option]: proxy.proxied(target) });
  });
  afterAll(async () => {
    await bed?.close();
    await proxy?.close();
  });

  const account = () => bed.provider.addAccount({ sub: `${name}-${(counter += 1)}`, email: `${name.toLowerCase()}-${counter}-${Date.now()}@example.com`, email_verified: true });

  it(`answers the callback with ?error=service_unavailable while ${name} is away, signs nobody in, and works once it is back`, async () => {
    const user = account();
    bed.provider.nextLogin = user.sub;
    const browser = new Browser();
    const { url: callback } = await browser.follow(bed.startUrl(), (next) => next.pathname.endsWith('/callback'));

    await proxy.cut('refuse');
    const response = await browser.get(callback);
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location')!);
    expect(location.origin).toBe(APP_URL);
    expect(location.searchParams.get('error')).toBe('service_unavailable');
    expect(browser.cookies(bed.publicUrl).access_token).toBeUndefined();

    await proxy.restore();
    await waitUntilReady(bed);
    const back = await bed.signIn(new Browser(), { login: user.sub });
    expect(back.searchParams.get('error')).toBeNull();
  });
});

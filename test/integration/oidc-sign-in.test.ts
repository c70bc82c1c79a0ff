// Sign-in with an OpenID provider through the browser flow (SPEC §12), against a real provider
// (oidc-provider) run by the test: users created, signed in again, linked, refused.
import { Browser } from '../helpers/browser';
import { APP_URL, startOidcTestbed, type OidcTestbed } from '../helpers/oidc';
import { releaseTestResources } from '../helpers/test-server';

const ME = 'query { me { id email name } }';

let bed: OidcTestbed;

beforeAll(async () => {
  bed = await startOidcTestbed();
});

afterAll(async () => {
  await bed?.close();
  await releaseTestResources();
});

it('creates a user without a password on a first sign-in and signs the browser in with the cookies of a password login', async () => {
  bed.provider.addAccount({ sub: 'alice-sub', email: 'Alice@Example.com', email_verified: true, name: 'Alice Provider' });
  const browser = new Browser();
  const back = await bed.signIn(browser, { login: 'alice-sub' });

  expect(back.toString()).toBe(`${APP_URL}/signed-in`);
  const cookies = browser.cookies(bed.publicUrl);
  expect(Object.keys(cookies).sort()).toEqual(['access_token', 'logged_in', 'refresh_token']);
  const me = await bed.server.gql(ME, {}, { cookies });
  expect(me.data?.me).toMatchObject({ email: 'alice@example.com', name: 'Alice Provider' });
  const user = await bed.server.database.prisma.user.findUniqueOrThrow({ where: { email: 'alice@example.com' }, include: { linkedAccounts: true } });
  expect(user.passwordHash).toBeNull();
  expect(user.emailVerified).toBe(true);
  expect(user.linkedAccounts).toMatchObject([{ provider: 'test', subject: 'alice-sub', email: 'alice@example.com' }]);
});

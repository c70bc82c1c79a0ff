// Attack: hammering provider sign-in from one address. Starting a browser flow and presenting an ID token
// count against the per-IP login limit (RATE_LIMIT_LOGIN_PER_IP), as password logins do (SPEC §8, §12).
import { codeOf } from '../../helpers/accounts';
import { Browser } from '../../helpers/browser';
import { APP_URL, PROVIDER_ID, startOidcTestbed, type OidcTestbed } from '../../helpers/oidc';
import { SIGN_IN_WITH_ID_TOKEN } from '../../helpers/oidc-operations';
import { releaseTestResources } from '../../helpers/test-server';

let bed: OidcTestbed;

beforeAll(async () => {
  bed = await startOidcTestbed({ env: { RATE_LIMIT_LOGIN_PER_IP: '3' } });
});
afterAll(async () => {
  await bed?.close();
  await releaseTestResources();
});

it('refuses the start of a flow beyond the per-IP limit with ?error=rate_limited, and signInWithIdToken with RATE_LIMITED', async () => {
  for (let i = 0; i < 3; i += 1) {
    const response = await new Browser().get(bed.startUrl());
    expect(new URL(response.headers.get('location')!).origin).toBe(bed.provider.issuer);
  }
  const refused = await new Browser().get(bed.startUrl());
  expect(refused.status).toBe(302);
  expect(refused.headers.get('location')).toBe(`${APP_URL}/signed-in?error=rate_limited`);
  expect(refused.headers.getSetCookie()).toEqual([]);

  const token = await bed.server.gql(SIGN_IN_WITH_ID_TOKEN, { provider: PROVIDER_ID, idToken: await bed.provider.mint({ sub: 'someone' }) });
  expect(token.status).toBe(429);
  expect(codeOf(token)).toBe('RATE_LIMITED');
  expect(token.errors?.[0]?.extensions?.retryAfter).toBeGreaterThan(0);
});

// Access and refresh tokens over HTTP (SPEC §5, §6): what the service issues, and every forged,
// expired, misrouted or malformed token it must refuse without failing the request.
import { createHash, createSecretKey, generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { jwkThumbprint } from '../../src/auth/keys';
import { LOGIN, LOGOUT, ME, newUser, REFRESH, REGISTER, registerUser, type GraphQLResponse, type RequestOptions } from '../helpers/graphql';
import { createTestServer, releaseTestResources, TEST_SECRETS, type TestServer } from '../helpers/test-server';
import { base64url, buildJwt, claimsFor, decodeJwt, headerFor, nowSeconds, signWith } from '../helpers/tokens';

let server: TestServer;
beforeAll(async () => {
  server = await createTestServer();
});
afterAll(async () => {
  await server.close();
  await releaseTestResources();
});

interface Victim {
  accessToken: string;
  refreshToken: string;
  user: { id: string; email: string };
  input: { email: string; password: string; name: string };
  sid: string;
}

/** A freshly registered user with a live session: forged tokens below name this user and session. */
async function newVictim(): Promise<Victim> {
  const registered = await registerUser(server);
  return { ...registered, sid: decodeJwt(registered.accessToken).payload.sid as string };
}

const attackerRsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const attackerSecret = Buffer.from('an-attacker-chosen-secret-of-more-than-32-bytes');

const access = () => server.keys.access;
const refresh = () => server.keys.refresh;
/** The service's own access-token header: a forgery changes exactly one thing about it. */
const accessHeader = (): Record<string, unknown> => headerFor(access(), 'at+jwt');
const victimClaims = (victim: Victim, overrides: Record<string, unknown> = {}) =>
  claimsFor(server, { sub: victim.user.id, sid: victim.sid, ...overrides });

const me = (options: RequestOptions) => server.gql(ME, {}, options);

function expectUnauthenticated(response: GraphQLResponse, victim?: Victim): void {
  expect(response.status).toBe(200);
  expect(response.errors?.map((error) => error.extensions?.code)).toEqual(['UNAUTHENTICATED']);
  expect(response.data).toBeNull();
  if (victim) {
    for (const secret of [victim.user.id, victim.user.email, victim.input.name]) expect(response.text).not.toContain(secret);
  }
}

function expectViewer(response: GraphQLResponse, victim: Victim): void {
  expect(response.status).toBe(200);
  expect(response.errors).toBeUndefined();
  expect(response.data?.me).toMatchObject({ id: victim.user.id, email: victim.user.email });
}

/** The victim's own session is untouched: the access token works and the refresh token rotates once. */
async function expectSessionIntact(victim: Victim): Promise<void> {
  expectViewer(await me({ token: victim.accessToken }), victim);
  const rotated = await server.gql(REFRESH, { refreshToken: victim.refreshToken });
  expect(rotated.errors).toBeUndefined();
  expect(rotated.data?.refresh.user.id).toBe(victim.user.id);
}

describe('the tokens the service issues', () => {
  it('puts typ at+jwt, HS256 and the RFC 7638 thumbprint of the secret in the access-token header', async () => {
    const { accessToken } = await registerUser(server);
    const expectedKid = createHash('sha256')
      .update(`{"k":"${Buffer.from(TEST_SECRETS.JWT_SECRET, 'utf8').toString('base64url')}","kty":"oct"}`)
      .digest('base64url');

    expect(decodeJwt(accessToken).header).toEqual({ alg: 'HS256', typ: 'at+jwt', kid: expectedKid });
  });

  it('puts exactly sub, sid, jti, iat, nbf, exp, iss, aud, role and scope in the access token, no personal data, for 900 seconds', async () => {
    const { accessToken, user, input } = await registerUser(server);
    const { payload } = decodeJwt(accessToken);

    expect(Object.keys(payload).sort()).toEqual(['aud', 'exp', 'iat', 'iss', 'jti', 'nbf', 'role', 'scope', 'sid', 'sub']);
    expect(payload).toMatchObject({ sub: user.id, role: 'USER', scope: 'profile:read', iss: server.config.jwt.issuer, aud: server.config.jwt.audience });
    expect(payload.nbf).toBe(payload.iat);
    expect(payload.exp - payload.iat).toBe(900);
    expect(Math.abs(payload.iat - nowSeconds())).toBeLessThanOrEqual(5);
    const decoded = JSON.stringify(payload);
    expect(decoded).not.toContain(input.email);
    expect(decoded).not.toContain(input.name);
  });

  it('signs the refresh token with the other secret, typ rt+jwt, with sub, sid, jti, iat, exp, iss and aud for 7 days', async () => {
    const { accessToken, refreshToken, user } = await registerUser(server);
    const { header, payload } = decodeJwt(refreshToken);
    const accessClaims = decodeJwt(accessToken).payload;
    const expectedKid = createHash('sha256')
      .update(`{"k":"${Buffer.from(TEST_SECRETS.JWT_REFRESH_SECRET, 'utf8').toString('base64url')}","kty":"oct"}`)
      .digest('base64url');

    expect(header).toEqual({ alg: 'HS256', typ: 'rt+jwt', kid: expectedKid });
    expect(header.kid).not.toBe(decodeJwt(accessToken).header.kid);
    expect(Object.keys(payload).sort()).toEqual(['aud', 'exp', 'iat', 'iss', 'jti', 'sid', 'sub']);
    expect(payload).toMatchObject({ sub: user.id, sid: accessClaims.sid, iss: server.config.jwt.issuer, aud: server.config.jwt.audience });
    expect(payload.jti).not.toBe(accessClaims.jti);
    expect(payload.exp - payload.iat).toBe(7 * 24 * 60 * 60);
  });
});

describe('me with a forged or unusable access token', () => {
  it('answers the viewer for a real access token, and for one built here with the server key (the control for every case below)', async () => {
    const victim = await newVictim();

    expectViewer(await me({ token: victim.accessToken }), victim);
    expectViewer(await me({ token: signWith(access(), victimClaims(victim)) }), victim);
  });

  const noneSpellings = ['none', 'None', 'NONE', 'nOnE'];
  it.each(noneSpellings.flatMap((alg) => [[alg, 'an empty signature', ''] as const, [alg, 'a bogus signature', 'c2lnbmF0dXJl'] as const]))(
    'refuses alg %s with %s as UNAUTHENTICATED',
    async (alg, _description, signature) => {
      const victim = await newVictim();
      const unsigned = buildJwt({ header: { ...accessHeader(), alg }, payload: victimClaims(victim), key: null });

      expectUnauthenticated(await me({ token: unsigned + signature }), victim);
    },
  );

  it('refuses an HS256 token signed with another secret', async () => {
    const victim = await newVictim();
    const token = buildJwt({ header: accessHeader(), payload: victimClaims(victim), key: createSecretKey(attackerSecret) });

    expectUnauthenticated(await me({ token }), victim);
  });

  it('refuses a token signed with the refresh key but typed at+jwt, whichever kid it names', async () => {
    const victim = await newVictim();
    for (const kid of [access().kid, refresh().kid]) {
      const token = buildJwt({ header: { ...accessHeader(), kid }, payload: victimClaims(victim), key: refresh().signingKey });
      expectUnauthenticated(await me({ token }), victim);
    }
  });

  it.each([
    ['a scope that is not a string', { scope: ['users:read'] }],
    ['a role that does not exist', { role: 'ROOT' }],
  ])('refuses a correctly signed token with %s, never failing the request', async (_label, overrides) => {
    const victim = await newVictim();

    expectUnauthenticated(await me({ token: signWith(access(), victimClaims(victim, overrides)) }), victim);
  });

  it('never accepts a real refresh token as an access token', async () => {
    const victim = await newVictim();

    expectUnauthenticated(await me({ token: victim.refreshToken }), victim);
  });

  it('refuses a real access token whose payload was changed to role ADMIN, keeping the signature', async () => {
    const victim = await newVictim();
    const [header, payload, signature] = victim.accessToken.split('.');
    const promoted = base64url(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), role: 'ADMIN' }));

    expectUnauthenticated(await me({ token: `${header}.${promoted}.${signature}` }), victim);
  });

  it("refuses a real access token whose payload was changed to another user's sub and session", async () => {
    const attacker = await newVictim();
    const victim = await newVictim();
    const [header, payload, signature] = attacker.accessToken.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    const stolen = base64url(JSON.stringify({ ...claims, sub: victim.user.id, sid: victim.sid }));

    expectUnauthenticated(await me({ token: `${header}.${stolen}.${signature}` }), victim);
  });

  it('refuses a token that expired more than the 5 s clock tolerance ago', async () => {
    const victim = await newVictim();
    const now = nowSeconds();
    const token = signWith(access(), victimClaims(victim, { iat: now - 906, nbf: now - 906, exp: now - 6 }));

    expectUnauthenticated(await me({ token }), victim);
  });

  it('still accepts a token that expired 3 s ago, within the clock tolerance', async () => {
    const victim = await newVictim();
    const now = nowSeconds();
    const token = signWith(access(), victimClaims(victim, { iat: now - 903, nbf: now - 903, exp: now - 3 }));

    expectViewer(await me({ token }), victim);
  });

  it('refuses a token whose nbf is 30 s in the future', async () => {
    const victim = await newVictim();
    const token = signWith(access(), victimClaims(victim, { nbf: nowSeconds() + 30 }));

    expectUnauthenticated(await me({ token }), victim);
  });

  it('accepts a token whose nbf is 3 s in the future, within the clock tolerance', async () => {
    const victim = await newVictim();
    const token = signWith(access(), victimClaims(victim, { nbf: nowSeconds() + 3 }));

    expectViewer(await me({ token }), victim);
  });

  it.each(['exp', 'nbf', 'sid', 'sub', 'jti', 'role', 'iss', 'aud'])('refuses a correctly signed token without %s', async (claim) => {
    const victim = await newVictim();
    const token = signWith(access(), victimClaims(victim, { [claim]: undefined }));
    expect(decodeJwt(token).payload).not.toHaveProperty(claim);

    expectUnauthenticated(await me({ token }), victim);
  });

  it.each([
    ['another issuer', { iss: 'https://evil.example' }],
    ['another audience', { aud: 'another-service' }],
    ['an empty sid', { sid: '' }],
    ['a numeric exp given as a string', { exp: String(nowSeconds() + 900) }],
  ])('refuses a correctly signed token with %s', async (_description, overrides) => {
    const victim = await newVictim();

    expectUnauthenticated(await me({ token: signWith(access(), victimClaims(victim, overrides)) }), victim);
  });

  it.each([
    ['no typ', undefined],
    ['typ JWT', 'JWT'],
    ['typ rt+jwt', 'rt+jwt'],
  ])('refuses a correctly signed token with %s', async (_description, typ) => {
    const victim = await newVictim();
    const token = signWith(access(), victimClaims(victim), { ...accessHeader(), typ });

    expectUnauthenticated(await me({ token }), victim);
  });

  it.each([
    ["the refresh key's kid", () => refresh().kid],
    ['a path-traversal kid', () => '../../etc/passwd'],
    ['no kid', () => undefined],
  ])('refuses a token signed with the access key that names %s', async (_description, kid) => {
    const victim = await newVictim();
    const token = signWith(access(), victimClaims(victim), { ...accessHeader(), kid: kid() });

    expectUnauthenticated(await me({ token }), victim);
  });

  it('refuses a token that carries its own RSA key in a jwk header and is signed with it', async () => {
    const victim = await newVictim();
    const jwk = attackerRsa.publicKey.export({ format: 'jwk' });
    for (const kid of [access().kid, jwkThumbprint(attackerRsa.publicKey)]) {
      const token = buildJwt({ header: { alg: 'RS256', typ: 'at+jwt', kid, jwk }, payload: victimClaims(victim), key: attackerRsa.privateKey });
      expectUnauthenticated(await me({ token }), victim);
    }
  });

  it('refuses an HS256 token that carries its own secret in a jwk header and is signed with it', async () => {
    const victim = await newVictim();
    const header = { ...accessHeader(), jwk: { kty: 'oct', k: attackerSecret.toString('base64url') } };

    expectUnauthenticated(await me({ token: buildJwt({ header, payload: victimClaims(victim), key: createSecretKey(attackerSecret) }) }), victim);
  });

  describe('with key URLs in the header', () => {
    let keyHost: Server;
    let keyHostUrl: string;
    const fetched: string[] = [];
    beforeAll(async () => {
      keyHost = createServer((request, response) => {
        fetched.push(request.url ?? '');
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ keys: [{ ...attackerRsa.publicKey.export({ format: 'jwk' }), kid: access().kid, alg: 'RS256' }] }));
      });
      await new Promise<void>((resolve) => keyHost.listen(0, '127.0.0.1', resolve));
      keyHostUrl = `http://127.0.0.1:${(keyHost.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      await new Promise((resolve) => keyHost.close(resolve));
    });

    it.each([
      ['a jku at a key server that would vouch for the attacker key', () => ({ jku: `${keyHostUrl}/jwks.json` })],
      ['an x5u at the same key server', () => ({ x5u: `${keyHostUrl}/cert.pem` })],
      ['a jku at a closed port', () => ({ jku: 'http://127.0.0.1:1/' })],
    ])('refuses a token with %s quickly and fetches nothing', async (_description, urls) => {
      const victim = await newVictim();
      const header = { alg: 'RS256', typ: 'at+jwt', kid: access().kid, ...urls() };
      const token = buildJwt({ header, payload: victimClaims(victim), key: attackerRsa.privateKey });

      const started = Date.now();
      const response = await me({ token });

      expectUnauthenticated(response, victim);
      expect(Date.now() - started).toBeLessThan(2000);
      expect(fetched).toEqual([]);
    });
  });

  it('refuses a correctly signed token whose session id does not exist', async () => {
    const victim = await newVictim();
    const token = signWith(access(), victimClaims(victim, { sid: randomUUID() }));

    expectUnauthenticated(await me({ token }), victim);
  });

  it('refuses a correctly signed token whose session belongs to another user', async () => {
    const owner = await newVictim();
    const other = await newVictim();
    const token = signWith(access(), claimsFor(server, { sub: other.user.id, sid: owner.sid }));

    const response = await me({ token });

    expectUnauthenticated(response, other);
    expectUnauthenticated(response, owner);
    await expectSessionIntact(owner);
  });

  it('refuses a real access token on the very next request after a logout, though it was accepted a moment before', async () => {
    const victim = await newVictim();
    expectViewer(await me({ token: victim.accessToken }), victim);
    await server.gql(LOGOUT, {}, { token: victim.accessToken });

    expectUnauthenticated(await me({ token: victim.accessToken }), victim);
  });

  it('refuses a real access token once its session is logged out', async () => {
    const victim = await newVictim();
    await server.gql(LOGOUT, {}, { token: victim.accessToken });

    expectUnauthenticated(await me({ token: victim.accessToken }), victim);
  });
});

describe('me with malformed tokens', () => {
  const signedRaw = (payloadSegment: string, header: Record<string, unknown> = accessHeader()) =>
    buildJwt({ header, payload: null, key: access().signingKey, segments: { payload: payloadSegment } });
  const sessionless = () => claimsFor(server, { sub: randomUUID(), sid: randomUUID() });

  const garbage: Array<[string, () => string]> = [
    ['one segment', () => 'abcdef'],
    ['two segments', () => 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0'],
    ['three empty segments', () => '..'],
    ['segments that are not base64url', () => '!!!.@@@.###'],
    ['a header that is JSON but not an object', () => `${base64url('"at+jwt"')}.${base64url('{}')}.`],
    ['a header that is not JSON', () => `${base64url('{alg:')}.${base64url('{}')}.`],
    ['a signed payload that is a JSON array', () => signWith(access(), [1, 2, 3])],
    ['a signed payload that is a JSON string', () => signWith(access(), 'sub')],
    ['a signed payload that is JSON null', () => signWith(access(), null)],
    ['a signed payload that is a JSON number', () => signWith(access(), 42)],
    ['a signed payload that is not JSON', () => signedRaw(base64url('not json'))],
    ['a signed non-JSON payload under typ JWT', () => signedRaw(base64url('{"sub":'), { ...accessHeader(), typ: 'JWT' })],
    ['8 kB of signed claims without a session', () => signWith(access(), { ...sessionless(), padding: 'x'.repeat(8 * 1024) })],
    ['8 kB of unsigned claims', () => buildJwt({ header: accessHeader(), payload: { ...sessionless(), padding: 'x'.repeat(8 * 1024) } })],
  ];

  it.each(garbage)('answers UNAUTHENTICATED, never 5xx, for %s in the Bearer header or the cookie', async (_description, token) => {
    const value = token();

    expectUnauthenticated(await me({ token: value }));
    expectUnauthenticated(await me({ cookies: { access_token: value } }));
  });
});

describe('where the access token is read from', () => {
  const forged = (victim: Victim) => buildJwt({ header: { ...accessHeader(), alg: 'none' }, payload: victimClaims(victim) });

  it('reads the access_token cookie when there is no Authorization header', async () => {
    const victim = await newVictim();

    expectViewer(await me({ cookies: { access_token: victim.accessToken } }), victim);
  });

  it('lets an invalid Bearer header win over a valid cookie', async () => {
    const victim = await newVictim();

    expectUnauthenticated(await me({ token: forged(victim), cookies: { access_token: victim.accessToken } }), victim);
  });

  it('lets a valid Bearer header win over an invalid cookie', async () => {
    const victim = await newVictim();

    expectViewer(await me({ token: victim.accessToken, cookies: { access_token: forged(victim) } }), victim);
  });

  it('uses the Bearer header, not the cookie, when both are valid for different users', async () => {
    const headerUser = await newVictim();
    const cookieUser = await newVictim();

    expectViewer(await me({ token: headerUser.accessToken, cookies: { access_token: cookieUser.accessToken } }), headerUser);
  });

  it('falls back to the cookie when the Authorization header is not a Bearer one', async () => {
    const victim = await newVictim();

    expectViewer(await me({ headers: { authorization: 'Basic xyz' }, cookies: { access_token: victim.accessToken } }), victim);
  });

  it.each([['Bearer'], ['Bearer '], ['bearer a b'], ['Bearer\tnot-a-jwt']])(
    'treats a malformed Bearer header (%j) as the credential, so a valid cookie does not rescue it',
    async (authorization) => {
      const victim = await newVictim();

      expectUnauthenticated(await me({ headers: { authorization }, cookies: { access_token: victim.accessToken } }), victim);
    },
  );
});

describe('login, register and refresh with a stale access token present (SPEC §5)', () => {
  const staleTokens: Array<[string, () => Promise<string>]> = [
    [
      'a logged-out session',
      async () => {
        const old = await newVictim();
        await server.gql(LOGOUT, {}, { token: old.accessToken });
        return old.accessToken;
      },
    ],
    [
      'an expired token',
      async () => {
        const old = await newVictim();
        return signWith(access(), victimClaims(old, { iat: nowSeconds() - 2000, nbf: nowSeconds() - 2000, exp: nowSeconds() - 1000 }));
      },
    ],
    ['a forged alg none token', async () => buildJwt({ header: { ...accessHeader(), alg: 'none' }, payload: claimsFor(server, { sub: randomUUID(), sid: randomUUID() }) })],
  ];
  const withStale = (stale: string): RequestOptions => ({ token: stale, cookies: { access_token: stale } });

  it.each(staleTokens)('registers with %s in the Bearer header and the cookie', async (_description, staleToken) => {
    const input = newUser();
    const response = await server.gql(REGISTER, { input }, withStale(await staleToken()));

    expect(response.errors).toBeUndefined();
    expect(response.data?.register.user.email).toBe(input.email);
    expect(response.cookies.access_token?.value).toBe(response.data?.register.accessToken);
  });

  it.each(staleTokens)('logs in with %s in the Bearer header and the cookie', async (_description, staleToken) => {
    const victim = await newVictim();
    const response = await server.gql(LOGIN, { input: { email: victim.input.email, password: victim.input.password } }, withStale(await staleToken()));

    expect(response.errors).toBeUndefined();
    expect(response.data?.login.user).toMatchObject({ id: victim.user.id, email: victim.user.email });
    expectViewer(await me({ token: response.data?.login.accessToken }), victim);
  });

  it.each(staleTokens)('refreshes with %s in the Bearer header and the cookie', async (_description, staleToken) => {
    const victim = await newVictim();
    const response = await server.gql(REFRESH, { refreshToken: victim.refreshToken }, withStale(await staleToken()));

    expect(response.errors).toBeUndefined();
    expect(response.data?.refresh.user.id).toBe(victim.user.id);
  });
});

describe('refresh with a token that is not a refresh token', () => {
  it.each<[string, (victim: Victim) => string]>([
    ['a real access token', (victim) => victim.accessToken],
    [
      'a token signed with the access key, typed rt+jwt and naming the refresh kid',
      (victim) => signWith(access(), refreshClaims(victim), headerFor(refresh(), 'rt+jwt')),
    ],
    [
      'a token signed with the access key, typed rt+jwt and naming the access kid',
      (victim) => signWith(access(), refreshClaims(victim), headerFor(access(), 'rt+jwt')),
    ],
    ['an alg none refresh token', (victim) => buildJwt({ header: { ...headerFor(refresh(), 'rt+jwt'), alg: 'none' }, payload: refreshClaims(victim) })],
    ['a refresh token signed with the refresh key but typed at+jwt', (victim) => signWith(refresh(), refreshClaims(victim), headerFor(refresh(), 'at+jwt'))],
  ])('refuses %s with UNAUTHENTICATED, sets no cookie, and leaves the real session as it was', async (_description, forge) => {
    const victim = await newVictim();

    const response = await server.gql(REFRESH, { refreshToken: forge(victim) });

    expectUnauthenticated(response, victim);
    expect(response.cookies.access_token).toBeUndefined();
    expect(response.cookies.refresh_token).toBeUndefined();
    await expectSessionIntact(victim);
  });

  it('refuses a forged refresh_token cookie the same way', async () => {
    const victim = await newVictim();
    const forged = signWith(access(), refreshClaims(victim), headerFor(refresh(), 'rt+jwt'));

    expectUnauthenticated(await server.gql(REFRESH, {}, { cookies: { refresh_token: forged } }), victim);
    await expectSessionIntact(victim);
  });

  it('accepts a refresh token built here with the refresh key (the control for the cases above)', async () => {
    const victim = await newVictim();
    // Same jti as the real one, so the session sees the token it expects.
    const claims = { ...refreshClaims(victim), jti: decodeJwt(victim.refreshToken).payload.jti };

    const response = await server.gql(REFRESH, { refreshToken: signWith(refresh(), claims, headerFor(refresh(), 'rt+jwt')) });

    expect(response.errors).toBeUndefined();
    expect(response.data?.refresh.user.id).toBe(victim.user.id);
  });
});

describe('access-token lifetime on the server clock', () => {
  it('accepts a real access token up to 5 s past its 15 minutes and refuses it from then on', async () => {
    let now = nowSeconds();
    const clocked = await createTestServer({ shareWith: server, clock: () => now });
    try {
      const { accessToken, user } = await registerUser(clocked);
      const issuedAt = now;

      now = issuedAt + 900 + 4;
      expect((await clocked.gql(ME, {}, { token: accessToken })).data?.me.id).toBe(user.id);

      now = issuedAt + 900 + 5;
      const expired = await clocked.gql(ME, {}, { token: accessToken });
      expect(expired.errors?.map((error) => error.extensions?.code)).toEqual(['UNAUTHENTICATED']);
      expect(expired.data).toBeNull();
    } finally {
      await clocked.close();
    }
  });
});

function refreshClaims(victim: Victim): Record<string, unknown> {
  const { role: _role, nbf: _nbf, ...claims } = victimClaims(victim, { exp: nowSeconds() + 7 * 24 * 60 * 60 });
  return claims;
}

describe.each([
  ['RS256', () => generateKeyPairSync('rsa', { modulusLength: 2048 })],
  ['ES256', () => generateKeyPairSync('ec', { namedCurve: 'P-256' })],
] as const)('with %s keys', (algorithm, generate) => {
  let asymmetric: TestServer;
  beforeAll(async () => {
    const pemOf = (pair: ReturnType<typeof generate>) => pair.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    asymmetric = await createTestServer({
      shareWith: server,
      env: { JWT_ALGORITHM: algorithm, JWT_PRIVATE_KEY: pemOf(generate()), JWT_REFRESH_PRIVATE_KEY: pemOf(generate()) },
    });
  });
  afterAll(async () => {
    await asymmetric.close();
  });

  it(`issues ${algorithm} access tokens named by the thumbprint of the public key, which me accepts`, async () => {
    const { accessToken, refreshToken, user } = await registerUser(asymmetric);

    expect(decodeJwt(accessToken).header).toEqual({ alg: algorithm, typ: 'at+jwt', kid: jwkThumbprint(asymmetric.keys.access.verificationKey) });
    expect(decodeJwt(refreshToken).header).toEqual({ alg: algorithm, typ: 'rt+jwt', kid: jwkThumbprint(asymmetric.keys.refresh.verificationKey) });
    expect((await asymmetric.gql(ME, {}, { token: accessToken })).data?.me.id).toBe(user.id);
  });

  it('refuses an HS256 token whose HMAC key is the public key (algorithm confusion)', async () => {
    const { accessToken, user } = await registerUser(asymmetric);
    const { header, payload } = decodeJwt(accessToken);
    const publicPem = asymmetric.keys.access.verificationKey.export({ format: 'pem', type: 'spki' });

    for (const hmacKey of [Buffer.from(publicPem), asymmetric.keys.access.verificationKey.export({ format: 'der', type: 'spki' })]) {
      const token = buildJwt({ header: { ...header, alg: 'HS256' }, payload, key: createSecretKey(hmacKey) });
      const response = await asymmetric.gql(ME, {}, { token });
      expect(response.errors?.map((error) => error.extensions?.code)).toEqual(['UNAUTHENTICATED']);
      expect(response.data).toBeNull();
      expect(response.text).not.toContain(user.id);
    }
  });

  it('refuses a token signed with the refresh private key but typed at+jwt, and one with alg none', async () => {
    const { accessToken, user } = await registerUser(asymmetric);
    const { header, payload } = decodeJwt(accessToken);
    const resigned = buildJwt({ header, payload, key: asymmetric.keys.access.signingKey });
    expect((await asymmetric.gql(ME, {}, { token: resigned })).data?.me.id).toBe(user.id); // the builder signs as the server does

    for (const token of [
      buildJwt({ header, payload, key: asymmetric.keys.refresh.signingKey }),
      buildJwt({ header: { ...header, alg: 'none' }, payload }),
    ]) {
      const response = await asymmetric.gql(ME, {}, { token });
      expect(response.errors?.map((error) => error.extensions?.code)).toEqual(['UNAUTHENTICATED']);
      expect(response.data).toBeNull();
    }
    expect((await asymmetric.gql(ME, {}, { token: accessToken })).data?.me.id).toBe(user.id);
  });
});

// GET /.well-known/jwks.json and /.well-known/openid-configuration (SPEC §3): every access-token key
// still accepted is published as a public JWK; refresh keys and HMAC secrets never are. Discovery is
// served only with an https JWT_ISSUER and PUBLIC_URL, never built from the request's Host.
import { createPublicKey, type JsonWebKey } from 'node:crypto';
import http, { type IncomingHttpHeaders } from 'node:http';
import jwt from 'jsonwebtoken';
import { jwkThumbprint } from '../../src/auth/keys';
import { ME, REFRESH, registerUser } from '../helpers/graphql';
import { keyEnv, newKeyPair, type KeyPair } from '../helpers/keys';
import { buildJwt, claimsFor, decodeJwt } from '../helpers/tokens';
import { createTestServer, releaseTestResources, TEST_SECRETS, type TestServer } from '../helpers/test-server';

const servers: TestServer[] = [];
afterAll(async () => {
  for (const server of servers) await server.close();
  await releaseTestResources();
});

async function start(env: Record<string, string>): Promise<TestServer> {
  const server = await createTestServer({ env });
  servers.push(server);
  return server;
}

async function get(server: TestServer, path: string) {
  const response = await fetch(new URL(path, server.origin));
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, body: JSON.parse(text) as Record<string, any> };
}

/** A GET with any Host header (fetch would not send a forged one). */
function getWithHost(server: TestServer, path: string, headers: Record<string, string>) {
  return new Promise<{ status: number; headers: IncomingHttpHeaders; text: string }>((resolve, reject) => {
    const request = http.get(new URL(path, server.origin), { headers }, (response) => {
      let text = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, text }));
    });
    request.on('error', reject);
  });
}

const sessionOf = (token: string) => decodeJwt(token).payload as { sub: string; sid: string };

describe.each(['ES256', 'RS256'] as const)('with %s keys', (algorithm) => {
  const [access, refresh, next, old] = [newKeyPair(algorithm), newKeyPair(algorithm), newKeyPair(algorithm), newKeyPair(algorithm)];
  const refreshNext = newKeyPair(algorithm);
  let server: TestServer;
  beforeAll(async () => {
    server = await start(keyEnv(algorithm, { access, refresh, accessPublished: [next, old], refreshPublished: [refreshNext] }));
  });

  it('publishes every access-token key still accepted, signing key first, with kid, alg, use and a cache lifetime', async () => {
    const response = await get(server, '/.well-known/jwks.json');

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/jwk-set\+json/);
    expect(response.headers.get('cache-control')).toBe('public, max-age=300');
    expect(response.body.keys.map((key: JsonWebKey) => key.kid)).toEqual([access, next, old].map((pair) => jwkThumbprint(pair.publicKey)));
    for (const [index, pair] of [access, next, old].entries()) {
      const { kty, crv, x, y, n, e } = pair.publicKey.export({ format: 'jwk' });
      const members = algorithm === 'ES256' ? { kty, crv, x, y } : { kty, n, e };
      expect(response.body.keys[index]).toEqual({ ...members, kid: jwkThumbprint(pair.publicKey), alg: algorithm, use: 'sig' });
    }
  });

  it('publishes no private member and no refresh key', async () => {
    const { text } = await get(server, '/.well-known/jwks.json');

    for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) expect(text).not.toContain(`"${member}":`);
    for (const pair of [refresh, refreshNext]) expect(text).not.toContain(jwkThumbprint(pair.publicKey));
  });

  it('publishes a key another service can verify the issued access tokens with, picking it by kid', async () => {
    const { accessToken } = await registerUser(server);
    const { body } = await get(server, '/.well-known/jwks.json');
    const jwk = body.keys.find((key: JsonWebKey & { kid: string }) => key.kid === decodeJwt(accessToken).header.kid);

    const claims = jwt.verify(accessToken, createPublicKey({ key: jwk, format: 'jwk' }), {
      algorithms: [algorithm],
      issuer: server.config.jwt.issuer,
      audience: server.config.jwt.audience,
    });
    expect(claims).toMatchObject({ sub: sessionOf(accessToken).sub, scope: 'profile:read' });
  });

  it('accepts an access token signed with a published key that does not sign, and refuses one whose key is not configured', async () => {
    const alice = await registerUser(server);
    const signedBy = (pair: KeyPair) =>
      buildJwt({
        header: { alg: algorithm, typ: 'at+jwt', kid: jwkThumbprint(pair.publicKey) },
        payload: claimsFor(server, sessionOf(alice.accessToken)),
        key: pair.privateKey,
      });

    const published = await server.gql(ME, {}, { token: signedBy(next) });
    expect(published.errors).toBeUndefined();
    expect(published.data?.me.id).toBe(alice.user.id);

    const stranger = await server.gql(ME, {}, { token: signedBy(newKeyPair(algorithm)) });
    expect(stranger.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(stranger.data).toBeNull();
  });

  it('refuses an access token signed with a refresh key, even one only published for rotation', async () => {
    const alice = await registerUser(server);
    for (const pair of [refresh, refreshNext]) {
      const token = buildJwt({
        header: { alg: algorithm, typ: 'at+jwt', kid: jwkThumbprint(pair.publicKey) },
        payload: claimsFor(server, sessionOf(alice.accessToken)),
        key: pair.privateKey,
      });
      const response = await server.gql(ME, {}, { token });
      expect(response.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      expect(response.data).toBeNull();
    }
  });

  it('serves no discovery document with the default issuer, which is not a URL, and echoes no Host', async () => {
    const response = await getWithHost(server, '/.well-known/openid-configuration', { host: 'evil.example', 'x-forwarded-host': 'evil.example' });

    expect(server.config.jwt.issuer).toBe('portcullis');
    expect(response.status).toBe(404);
    expect(JSON.parse(response.text)).toEqual({ error: 'not_found', error_description: expect.stringContaining('JWT_ISSUER is an https URL') });
    expect(response.text).not.toContain('evil');
    expect(response.headers['cache-control']).toBeUndefined();
  });
});

describe('the discovery document (OpenID Connect Discovery shape, never built from the request)', () => {
  const es256 = () => keyEnv('ES256', { access: newKeyPair('ES256'), refresh: newKeyPair('ES256') });
  const DOCUMENT = { issuer: 'https://auth.example.com', jwks_uri: 'https://auth.example.com/.well-known/jwks.json' };

  it('describes itself with only true fields, jwks_uri from PUBLIC_URL, whatever Host and X-Forwarded-* say', async () => {
    // Behind a trusted proxy, so that X-Forwarded-Host would be believed if anything read it.
    const server = await start({ ...es256(), PUBLIC_URL: 'https://auth.example.com/', JWT_ISSUER: DOCUMENT.issuer, TRUST_PROXY: 'loopback' });

    for (const headers of [{}, { host: 'evil.example' }, { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'http' }] as Record<string, string>[]) {
      const response = await getWithHost(server, '/.well-known/openid-configuration', headers);
      expect(response.status).toBe(200);
      expect(JSON.parse(response.text)).toEqual(DOCUMENT);
      expect(response.headers['cache-control']).toBe('public, max-age=300');
      expect(response.headers.vary).toBeUndefined(); // one document for every request: a shared cache may keep it
    }
  });

  it.each([
    ['PUBLIC_URL is unset', { JWT_ISSUER: 'https://auth.example.com' }, 'PUBLIC_URL is set'],
    ['JWT_ISSUER is a plain http URL', { JWT_ISSUER: 'http://auth.example.com', PUBLIC_URL: 'https://auth.example.com' }, 'JWT_ISSUER is an https URL'],
    ['JWT_ISSUER has a query', { JWT_ISSUER: 'https://auth.example.com/?tenant=a', PUBLIC_URL: 'https://auth.example.com' }, 'JWT_ISSUER is an https URL'],
    ['JWT_ISSUER has a fragment', { JWT_ISSUER: 'https://auth.example.com/#a', PUBLIC_URL: 'https://auth.example.com' }, 'JWT_ISSUER is an https URL'],
  ])('answers 404 naming the fix when %s, and never a Host-derived jwks_uri', async (_case, env, fix) => {
    const server = await start({ ...es256(), ...env });
    const response = await getWithHost(server, '/.well-known/openid-configuration', { host: 'evil.example' });

    expect(response.status).toBe(404);
    expect(JSON.parse(response.text)).toEqual({ error: 'not_found', error_description: expect.stringContaining(fix) });
    expect(response.text).not.toMatch(/evil|"jwks_uri"/);
    // The keys themselves are still published: a router configured with the JWKS URL needs nothing more.
    expect((await get(server, '/.well-known/jwks.json')).status).toBe(200);
  });

  it('serves the same document in production', async () => {
    const server = await start({ ...es256(), NODE_ENV: 'production', PUBLIC_URL: 'https://auth.example.com', JWT_ISSUER: DOCUMENT.issuer });
    const response = await getWithHost(server, '/.well-known/openid-configuration', { host: 'evil.example' });

    expect(response.status).toBe(200);
    expect(JSON.parse(response.text)).toEqual(DOCUMENT);
  });
});

describe('with HS256', () => {
  it('accepts access and refresh tokens signed with a verification secret, and signs only with the current one', async () => {
    const next = { access: 'next-access-secret-of-at-least-32-bytes', refresh: 'next-refresh-secret-of-at-least-32-bytes' };
    const server = await start({ JWT_VERIFICATION_SECRETS: next.access, JWT_REFRESH_VERIFICATION_SECRETS: next.refresh });
    const alice = await registerUser(server);
    const { sub, sid } = sessionOf(alice.accessToken);
    const nextAccess = [...server.keys.verifiers.access.values()][1]!;
    const nextRefresh = [...server.keys.verifiers.refresh.values()][1]!;
    expect(nextAccess.verificationKey.export().toString()).toBe(next.access);
    expect(decodeJwt(alice.accessToken).header.kid).toBe(server.keys.access.kid);

    const access = buildJwt({ header: { alg: 'HS256', typ: 'at+jwt', kid: nextAccess.kid }, payload: claimsFor(server, { sub, sid }), key: nextAccess.verificationKey });
    expect((await server.gql(ME, {}, { token: access })).data?.me.id).toBe(alice.user.id);

    // The refresh token the session holds, re-signed with the next refresh secret, still rotates it.
    const { header: _header, payload } = decodeJwt(alice.refreshToken);
    const refresh = buildJwt({ header: { alg: 'HS256', typ: 'rt+jwt', kid: nextRefresh.kid }, payload, key: nextRefresh.verificationKey });
    const rotated = await server.gql(REFRESH, { refreshToken: refresh });
    expect(rotated.errors).toBeUndefined();
    expect(decodeJwt(rotated.data!.refresh.refreshToken).header.kid).toBe(server.keys.refresh.kid);
  });


  it('publishes nothing: both documents answer 404 and no secret appears', async () => {
    const server = await start({ JWT_VERIFICATION_SECRETS: 'a-next-access-secret-of-32-bytes-or-more' });
    for (const path of ['/.well-known/jwks.json', '/.well-known/openid-configuration']) {
      const response = await get(server, path);
      expect(response.status).toBe(404);
      expect(response.body).toEqual({ error: 'not_found', error_description: expect.stringContaining('RS256 or ES256') });
      for (const secret of [TEST_SECRETS.JWT_SECRET, 'a-next-access-secret', server.keys.access.kid]) expect(response.text).not.toContain(secret);
    }
  });
});

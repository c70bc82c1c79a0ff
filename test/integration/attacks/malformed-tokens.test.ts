// Attack: malformed and hostile tokens at every place a token is read (Bearer header, access_token
// cookie, refresh argument, refresh_token cookie). Each is refused with UNAUTHENTICATED, never a 5xx,
// and the service fetches nothing named in a header. (tokens.test.ts covers the forged-but-well-formed ones.)
import { createSecretKey, generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { ME, REFRESH, registerUser, type GraphQLResponse } from '../../helpers/graphql';
import { base64url, buildJwt, claimsFor, decodeJwt, headerFor, signWith } from '../../helpers/tokens';
import { createTestServer, releaseTestResources, type TestServer } from '../../helpers/test-server';

let server: TestServer;
let keyHost: Server;
let keyHostUrl: string;
const fetched: string[] = [];
const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 });

/** Every TCP connection this process opens while the tests run, except to this server, PostgreSQL and Redis. */
const outbound: string[] = [];
// eslint-disable-next-line @typescript-eslint/unbound-method -- put back on the prototype, and only ever called with apply(this)
const originalConnect = net.Socket.prototype.connect;

function recordOutboundConnections(allowedPorts: Set<number>): void {
  net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
    const [head] = args;
    const first: unknown = Array.isArray(head) ? head[0] : head;
    const options = (typeof first === 'object' && first !== null ? first : { port: first, host: args[1] }) as { port?: unknown; host?: unknown; path?: unknown };
    if (options.path === undefined && !allowedPorts.has(Number(options.port))) outbound.push(`${String(options.host)}:${String(options.port)}`);
    return (originalConnect as (...a: unknown[]) => net.Socket).apply(this, args);
  };
}

const portOf = (url: string | undefined): number[] => (url ? [Number(new URL(url).port || 5432)] : []);

beforeAll(async () => {
  server = await createTestServer();
  recordOutboundConnections(new Set([Number(new URL(server.url).port), ...portOf(server.config.databaseUrl), ...portOf(server.config.redisUrl)]));
  keyHost = createServer((request, response) => {
    fetched.push(request.url ?? '');
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ keys: [{ ...attacker.publicKey.export({ format: 'jwk' }), kid: server.keys.access.kid, alg: 'RS256' }] }));
  });
  await new Promise<void>((resolve) => keyHost.listen(0, '127.0.0.1', resolve));
  keyHostUrl = `http://127.0.0.1:${(keyHost.address() as AddressInfo).port}`;
});
afterAll(async () => {
  net.Socket.prototype.connect = originalConnect;
  await new Promise((resolve) => keyHost.close(resolve));
  await server.close();
  await releaseTestResources();
});

type Victim = Awaited<ReturnType<typeof registerUser>> & { sid: string };
async function newVictim(): Promise<Victim> {
  const registered = await registerUser(server);
  return { ...registered, sid: decodeJwt(registered.accessToken).payload.sid as string };
}

/** Malformed tokens that name a real user and session wherever they carry claims at all. */
function malformedTokens(victim: Victim): Array<[string, string]> {
  const claims = claimsFor(server, { sub: victim.user.id, sid: victim.sid });
  const header = headerFor(server.keys.access, 'at+jwt');
  const [h, p, s] = victim.accessToken.split('.') as [string, string, string];
  const signed = (payload: unknown, extra: Record<string, unknown> = {}) => signWith(server.keys.access, payload, { ...header, ...extra });
  const forged = (payload: unknown) => buildJwt({ header, payload, key: createSecretKey(Buffer.from('attacker-secret-'.repeat(3))), alg: 'HS256' });
  const byAttacker = (extra: Record<string, unknown>) =>
    buildJwt({ header: { alg: 'RS256', typ: 'at+jwt', kid: server.keys.access.kid, ...extra }, payload: claims, key: attacker.privateKey });
  return [
    ['an empty string', ''],
    ['one segment', h],
    ['two segments', `${h}.${p}`],
    ['four segments', `${h}.${p}.${s}.${s}`],
    ['only dots', '....'],
    ['segments that are not base64url', `${h}.${p.replace(/[A-Za-z]/, '$')}%.${s}!`],
    ['a header that is not JSON', `${base64url('{not json')}.${p}.${s}`],
    ['a header that is a JSON array', signed(claims).replace(/^[^.]+/, base64url('["HS256"]'))],
    ['a signed payload that is a JSON array', signed([claims])],
    ['a signed payload that is a string', signed('sub')],
    ['a signed payload that is null', signed(null)],
    ['a signed payload that is a number', signed(42)],
    ['a signed payload that is not JSON', buildJwt({ header, payload: null, key: server.keys.access.signingKey, segments: { payload: base64url('{"sub":') } })],
    ['a forged payload with a 6 kB claim', forged({ ...claims, role: 'ADMIN', padding: 'x'.repeat(6_000) })],
    ['a forged payload with 500 claims', forged({ ...claims, ...Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`c${i}`, i])) })],
    ['a signed payload whose sub is an object', signed({ ...claims, sub: { $ne: null } })],
    ['a signed payload whose sid is a path', signed({ ...claims, sid: '../../sessions/*' })],
    ['a kid with path traversal', signed(claims, { kid: '../../../../../../etc/passwd' })],
    ['a kid with a null byte and SQL', signed(claims, { kid: "x\u0000' OR '1'='1" })],
    ['an attacker key embedded as jwk', byAttacker({ jwk: attacker.publicKey.export({ format: 'jwk' }) })],
    ['a jku pointing at an attacker key server', byAttacker({ jku: `${keyHostUrl}/jwks.json` })],
    ['an x5u pointing at an attacker server', byAttacker({ x5u: `${keyHostUrl}/cert.pem` })],
    ['a jku on another host and port', byAttacker({ jku: 'http://127.0.0.2:9/jwks.json' })],
    ['an x5c chain', byAttacker({ x5c: ['MIIBszCCAVmgAwIBAgIU'] })],
    ['alg none with an empty signature', buildJwt({ header: { ...header, alg: 'none' }, payload: claims })],
    ['a real token with its signature removed', `${h}.${p}.`],
    ['a real token with the signature of another token', `${h}.${p}.${victim.refreshToken.split('.')[2]}`],
  ];
}

function expectRefused(response: GraphQLResponse, victim: Victim): void {
  expect(response.status).toBe(200);
  expect(response.errors?.map((error) => error.extensions?.code)).toEqual(['UNAUTHENTICATED']);
  expect(response.data).toBeNull();
  expect(response.text).not.toContain(victim.user.email);
  expect(response.cookies.access_token).toBeUndefined();
}

describe('malformed tokens', () => {
  it('refuses each one as a Bearer token and as an access_token cookie with UNAUTHENTICATED, never a 5xx', async () => {
    const victim = await newVictim();
    for (const [description, token] of malformedTokens(victim)) {
      for (const options of [{ headers: { authorization: `Bearer ${token}` } }, { cookies: { access_token: token || '""' } }]) {
        const response = await server.gql(ME, {}, options);
        try {
          expectRefused(response, victim);
        } catch (error) {
          throw new Error(`${description} via ${Object.keys(options)[0]}: ${response.status} ${response.text}\n${String(error)}`);
        }
      }
    }
  });

  it('refuses each one as a refresh token, in the argument and in the refresh_token cookie, and the real session still refreshes', async () => {
    const victim = await newVictim();
    for (const [description, token] of malformedTokens(victim)) {
      for (const [variables, options] of [
        [{ refreshToken: token }, {}],
        [{}, { cookies: { refresh_token: token || '""' } }],
      ] as const) {
        const response = await server.gql(REFRESH, variables, options);
        try {
          expectRefused(response, victim);
        } catch (error) {
          throw new Error(`${description}: ${response.status} ${response.text}\n${String(error)}`);
        }
      }
    }
    const rotated = await server.gql(REFRESH, { refreshToken: victim.refreshToken });
    expect(rotated.errors).toBeUndefined();
  });

  it('fetches nothing from the URLs the tokens name, and opened no connection anywhere else', () => {
    expect(fetched).toEqual([]);
    expect(outbound).toEqual([]);
  });

  it('would see an outbound connection if one were made (the control for the test above)', async () => {
    const seen = outbound.length;
    await fetch(`${keyHostUrl}/probe`).then((response) => response.text());
    expect(outbound.length).toBe(seen + 1);
    outbound.splice(seen);
    fetched.splice(fetched.indexOf('/probe'), 1);
  });

  it('answers 300 random mutations of a real token with UNAUTHENTICATED or that same viewer, never a 5xx or anyone else', async () => {
    const victim = await newVictim();
    const random = mulberry32(0x5eed);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/%';
    for (let i = 0; i < 300; i += 1) {
      const chars = [...victim.accessToken];
      for (let edits = 1 + Math.floor(random() * 3); edits > 0; edits -= 1) {
        const at = Math.floor(random() * chars.length);
        const op = random();
        if (op < 0.5) chars[at] = alphabet[Math.floor(random() * alphabet.length)]!;
        else if (op < 0.75) chars.splice(at, 1);
        else chars.splice(at, 0, alphabet[Math.floor(random() * alphabet.length)]!);
      }
      const response = await server.gql(ME, {}, { token: chars.join('') });
      expect(response.status).toBe(200);
      if (response.errors) expect(response.errors.map((error) => error.extensions?.code)).toEqual(['UNAUTHENTICATED']);
      else expect(response.data!.me.id).toBe(victim.user.id); // a flip in base64url padding bits can leave the bytes unchanged
    }
  });
});

/** A small seeded PRNG, so a failing mutation can be replayed. */
function mulberry32(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

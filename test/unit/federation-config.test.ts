// Configuration for a federated graph: extra verification keys per token kind (JWT_PUBLIC_KEYS,
// JWT_VERIFICATION_SECRETS and their refresh twins), ROLE_SCOPES, PUBLIC_URL,
// FEDERATION_AUTH_DIRECTIVES and the coprocessor's listener, every problem reported at once.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { jwkThumbprint } from '../../src/auth/keys';
import { loadConfig } from '../../src/config/config';
import { configProblems } from '../helpers/config-problems';

type Env = Record<string, string>;

const ec = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });
const privatePem = (key: KeyObject) => key.export({ format: 'pem', type: 'pkcs8' }).toString();
const publicPem = (key: KeyObject) => key.export({ format: 'pem', type: 'spki' }).toString();
const [accessNow, refreshNow, accessNext, refreshNext, accessOld] = [ec(), ec(), ec(), ec(), ec()];
const ES256: Env = { JWT_ALGORITHM: 'ES256', JWT_PRIVATE_KEY: privatePem(accessNow.privateKey), JWT_REFRESH_PRIVATE_KEY: privatePem(refreshNow.privateKey) };
const SECRET = 'current-access-secret-of-32-bytes!';
const REFRESH_SECRET = 'current-refresh-secret-of-32-bytes';
const HS256: Env = { JWT_SECRET: SECRET, JWT_REFRESH_SECRET: REFRESH_SECRET };


let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'portcullis-rotation-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('extra verification keys for RS256/ES256', () => {
  it('accepts several public keys in JWT_PUBLIC_KEYS, signing key first, and signs only with the private key', () => {
    const keys = loadConfig({ ...ES256, JWT_PUBLIC_KEYS: publicPem(accessNext.publicKey) + publicPem(accessOld.publicKey) }).jwt.keys!;

    expect([...keys.verifiers.access.keys()]).toEqual([accessNow, accessNext, accessOld].map((pair) => jwkThumbprint(pair.publicKey)));
    expect(keys.access.kid).toBe(jwkThumbprint(accessNow.publicKey));
    expect([...keys.verifiers.refresh.keys()]).toEqual([jwkThumbprint(refreshNow.publicKey)]);
    for (const key of keys.verifiers.access.values()) expect(key.verificationKey.type).toBe('public');
    expect(keys.verifiers.access.get(jwkThumbprint(accessNext.publicKey))).not.toHaveProperty('signingKey');
  });

  it('reads a PEM bundle from JWT_REFRESH_PUBLIC_KEYS_FILE and base64 or \\n-escaped text inline', () => {
    const file = path.join(dir, 'refresh-keys.pem');
    writeFileSync(file, `${publicPem(refreshNext.publicKey)}\n${publicPem(accessOld.publicKey)}`);
    const escaped = publicPem(accessNext.publicKey).trim().replace(/\n/g, '\\n');

    const fromFile = loadConfig({ ...ES256, JWT_REFRESH_PUBLIC_KEYS_FILE: file, JWT_PUBLIC_KEYS: escaped }).jwt.keys!;
    const fromBase64 = loadConfig({ ...ES256, JWT_PUBLIC_KEYS: Buffer.from(publicPem(accessNext.publicKey)).toString('base64') }).jwt.keys!;

    expect([...fromFile.verifiers.refresh.keys()]).toEqual([refreshNow, refreshNext, accessOld].map((pair) => jwkThumbprint(pair.publicKey)));
    expect(fromFile.verifiers.access.has(jwkThumbprint(accessNext.publicKey))).toBe(true);
    expect(fromBase64.verifiers.access.has(jwkThumbprint(accessNext.publicKey))).toBe(true);
  });

  it('refuses a private key in a public list, a key of the wrong kind, and garbage, each on its own line', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const problems = configProblems({
      ...ES256,
      JWT_PUBLIC_KEYS: privatePem(accessNext.privateKey) + publicPem(rsa.publicKey),
      JWT_REFRESH_PUBLIC_KEYS: 'not a key',
    });

    expect(problems).toEqual([
      expect.stringMatching(/^JWT_PUBLIC_KEYS \(key 1\) holds a private key: list only public keys here/),
      expect.stringMatching(/^JWT_PUBLIC_KEYS \(key 2\) ES256 needs an EC public key on the P-256 curve/),
      expect.stringMatching(/^JWT_REFRESH_PUBLIC_KEYS must be one or more PEM keys/),
    ]);
  });

  it('refuses a key listed for both token kinds, so a refresh token can never verify as an access token', () => {
    const problems = configProblems({ ...ES256, JWT_PUBLIC_KEYS: publicPem(refreshNow.publicKey) });

    expect(problems).toEqual([expect.stringMatching(/same key is configured for access and refresh tokens/)]);
  });

  it('refuses HMAC secrets under ES256 and extra keys without signing keys', () => {
    expect(configProblems({ ...ES256, JWT_VERIFICATION_SECRETS: SECRET })).toEqual([
      expect.stringMatching(/^JWT_VERIFICATION_SECRETS holds HMAC secrets, which ES256 does not use/),
    ]);
    expect(configProblems({ JWT_ALGORITHM: 'ES256', JWT_PUBLIC_KEYS: publicPem(accessNext.publicKey) })).toEqual([
      expect.stringMatching(/^extra verification keys need the signing keys too: set JWT_PRIVATE_KEY/),
    ]);
  });
});

describe('extra verification secrets for HS256', () => {
  it('accepts comma-separated secrets per token kind, as verification keys only', () => {
    const next = 'next-access-secret-of-at-least-32-b';
    const old = 'old-access-secret-of-at-least-32-by';
    const keys = loadConfig({ ...HS256, JWT_VERIFICATION_SECRETS: `${next}, ${old}`, JWT_REFRESH_VERIFICATION_SECRETS: 'next-refresh-secret-of-32-bytes-or-more' }).jwt.keys!;

    expect(keys.verifiers.access.size).toBe(3);
    expect(keys.verifiers.refresh.size).toBe(2);
    expect([...keys.verifiers.access.values()].map((key) => key.verificationKey.export().toString())).toEqual([SECRET, next, old]);
    expect([...keys.verifiers.access.values()].slice(1).every((key) => !('signingKey' in key))).toBe(true);
  });

  it('refuses a short secret, public keys under HS256, and the refresh secret among the access secrets, all at once', () => {
    const problems = configProblems({
      ...HS256,
      JWT_VERIFICATION_SECRETS: `short,${REFRESH_SECRET}`,
      JWT_REFRESH_PUBLIC_KEYS: publicPem(accessNext.publicKey),
    });

    expect(problems).toEqual([
      expect.stringMatching(/^JWT_VERIFICATION_SECRETS \(entry 1\) must be at least 32 bytes \(got 5\)/),
      expect.stringMatching(/^JWT_REFRESH_PUBLIC_KEYS holds public keys, which HS256 does not use: list extra secrets in JWT_REFRESH_VERIFICATION_SECRETS/),
    ]);
    expect(configProblems({ ...HS256, JWT_VERIFICATION_SECRETS: REFRESH_SECRET })).toEqual([
      expect.stringMatching(/same key is configured for access and refresh tokens/),
    ]);
  });
});

describe('ROLE_SCOPES', () => {
  it('defaults to profile:read for USER and profile:read admin users:read users:write for ADMIN', () => {
    expect(loadConfig({}).jwt.roleScopes).toEqual({ USER: ['profile:read'], ADMIN: ['profile:read', 'admin', 'users:read', 'users:write'] });
  });

  it('reads scopes separated by spaces or commas and roles in any case', () => {
    expect(loadConfig({ ROLE_SCOPES: 'admin=profile:read, admin users:read  audit:read;User=profile:read,orders:read' }).jwt.roleScopes).toEqual({
      USER: ['profile:read', 'orders:read'],
      ADMIN: ['profile:read', 'admin', 'users:read', 'audit:read'],
    });
  });

  it('refuses a role left out, or given scopes without profile:read, in one line naming the fix, since me would answer FORBIDDEN', () => {
    expect(configProblems({ ROLE_SCOPES: 'ADMIN=profile:read admin users:read' })).toEqual([
      'ROLE_SCOPES gives USER no profile:read, which `me` requires (a role left out gets no scopes): add it, like USER=profile:read',
    ]);
    expect(configProblems({ ROLE_SCOPES: 'USER=orders:read;ADMIN=admin' })).toEqual([
      'ROLE_SCOPES gives USER and ADMIN no profile:read, which `me` requires (a role left out gets no scopes): add it, like USER=profile:read;ADMIN=profile:read',
    ]);
  });

  it('refuses ADMIN without admin (the scope ADMIN-only operations require) and any other role with it, since the scope stands for the role', () => {
    expect(configProblems({ ROLE_SCOPES: 'USER=profile:read;ADMIN=profile:read users:read' })).toEqual([
      'ROLE_SCOPES gives ADMIN no admin, which ADMIN-only operations require: add it, like ADMIN=profile:read,users:read,admin',
    ]);
    expect(configProblems({ ROLE_SCOPES: 'USER=profile:read admin;ADMIN=profile:read admin' })).toEqual([
      'ROLE_SCOPES gives USER admin, which stands for the ADMIN role: only ADMIN may hold it',
    ]);
  });

  it('refuses an unknown role, a repeated role and a scope with a quote, in one line with an example', () => {
    const problems = configProblems({ ROLE_SCOPES: 'OWNER=all;USER=a;USER=b;ADMIN=say"hi"' });

    expect(problems).toEqual([expect.stringMatching(/^ROLE_SCOPES "OWNER=all" must be ROLE=scope scope.*lists USER twice.*"say"hi"" is not a scope.*\(like USER=/)]);
  });
});

describe('PUBLIC_URL and FEDERATION_AUTH_DIRECTIVES', () => {
  it('default to unset and true', () => {
    const config = loadConfig({});

    expect(config.http.publicUrl).toBeUndefined();
    expect(config.federation.authDirectives).toBe(true);
  });

  it('read an http(s) URL without its trailing slash, and a boolean in any case', () => {
    const config = loadConfig({ PUBLIC_URL: 'https://auth.example.com/', FEDERATION_AUTH_DIRECTIVES: 'FALSE' });

    expect(config.http.publicUrl).toBe('https://auth.example.com');
    expect(config.federation.authDirectives).toBe(false);
  });

  it('refuse another scheme and a non-boolean, one line each', () => {
    expect(configProblems({ PUBLIC_URL: 'ftp://auth.example.com', FEDERATION_AUTH_DIRECTIVES: 'sometimes' })).toEqual([
      'PUBLIC_URL must be a https: or http:// URL',
      'FEDERATION_AUTH_DIRECTIVES must be true or false (got "sometimes")',
    ]);
  });
});

describe('COPROCESSOR_PORT and COPROCESSOR_HOST', () => {
  it('serve no coprocessor by default, and bind it to 127.0.0.1 when only the port is set', () => {
    expect(loadConfig({}).coprocessor).toEqual({ port: undefined, host: '127.0.0.1' });
    expect(loadConfig({ COPROCESSOR_PORT: '4001' }).coprocessor).toEqual({ port: 4001, host: '127.0.0.1' });
    expect(loadConfig({ COPROCESSOR_PORT: ' 4001 ', COPROCESSOR_HOST: '0.0.0.0' }).coprocessor).toEqual({ port: 4001, host: '0.0.0.0' });
  });

  it('refuse the public port, a port out of range, and a host without a port, one line each', () => {
    expect(configProblems({ PORT: '4000', COPROCESSOR_PORT: '4000' })).toEqual([
      'COPROCESSOR_PORT must differ from PORT: the coprocessor needs a listener the public cannot reach',
    ]);
    expect(configProblems({ COPROCESSOR_PORT: '70000' })).toEqual(['COPROCESSOR_PORT must be a whole number from 0 to 65535 (got "70000")']);
    expect(configProblems({ COPROCESSOR_HOST: '0.0.0.0' })).toEqual([
      'COPROCESSOR_HOST is set but COPROCESSOR_PORT is not: set COPROCESSOR_PORT (like 4001) to serve the coprocessor',
    ]);
  });
});

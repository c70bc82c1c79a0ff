// The configuration of the second factor and passkeys (issue 13): DATA_ENCRYPTION_KEY and its rotation
// list, the WebAuthn relying party (defaults from APP_URL), TOTP_ISSUER; each bad value one fix-it line.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/config';
import { DataCipher } from '../../src/crypto/data-cipher';
import { loadOrCreateDevDataKeys } from '../../src/infra/dev-keys';
import { configProblems } from '../helpers/config-problems';

const KEY = Buffer.alloc(32, 1).toString('base64');
const OLD = Buffer.alloc(32, 2).toString('base64');


describe('DATA_ENCRYPTION_KEY', () => {
  it('takes a 32-byte base64 key, with retired keys for rotation', () => {
    const config = loadConfig({ DATA_ENCRYPTION_KEY: KEY, DATA_ENCRYPTION_OLD_KEYS: ` ${OLD} ,` });

    expect(config.dataEncryption.keys!.active.key).toEqual(Buffer.alloc(32, 1));
    expect(config.dataEncryption.keys!.old.map((key) => key.key)).toEqual([Buffer.alloc(32, 2)]);
    expect(config.dataEncryption.keys!.active.id).not.toBe(config.dataEncryption.keys!.old[0]!.id);
  });

  it('is left unset outside production (a dev key is made under DATA_DIR)', () => {
    expect(loadConfig({}).dataEncryption.keys).toBeUndefined();
  });

  it.each([
    ['a short key', { DATA_ENCRYPTION_KEY: Buffer.alloc(16).toString('base64') }, /^DATA_ENCRYPTION_KEY must decode to 32 bytes \(got 16\): openssl rand -base64 32$/],
    ['text that is not base64', { DATA_ENCRYPTION_KEY: 'not base64 at all!' }, /^DATA_ENCRYPTION_KEY must be base64/],
    ['a bad retired key', { DATA_ENCRYPTION_KEY: KEY, DATA_ENCRYPTION_OLD_KEYS: `${OLD},short` }, /^DATA_ENCRYPTION_OLD_KEYS entry 2 must decode to 32 bytes/],
    ['retired keys without a current one', { DATA_ENCRYPTION_OLD_KEYS: OLD }, /^DATA_ENCRYPTION_OLD_KEYS is set but DATA_ENCRYPTION_KEY is not/],
  ])('refuses %s with one line naming the fix', (_name, env, line) => {
    expect(configProblems(env)).toEqual([expect.stringMatching(line)]);
  });

  it('is required in production', () => {
    const production = { NODE_ENV: 'production', DATABASE_URL: 'postgresql://db/p', REDIS_URL: 'redis://cache', JWT_SECRET: 'a'.repeat(32), JWT_REFRESH_SECRET: 'b'.repeat(32), SMTP_URL: 'smtp://mail.internal:587' };
    expect(configProblems(production)).toEqual([expect.stringMatching(/^DATA_ENCRYPTION_KEY is required in production \(32 random bytes, base64: openssl rand -base64 32\)/)]);
    expect(loadConfig({ ...production, DATA_ENCRYPTION_KEY: KEY }).env).toBe('production');
  });
});

describe('the development data key', () => {
  it('is made once under DATA_DIR, readable only by its owner, and the same on every start', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'portcullis-datakey-'));
    try {
      const first = loadOrCreateDevDataKeys(dir);
      const second = loadOrCreateDevDataKeys(dir);
      const file = path.join(dir, 'dev-data-key.base64');

      expect(second.active.key).toEqual(first.active.key);
      expect(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64')).toHaveLength(32);
      expect(statSync(file).mode & 0o077).toBe(0);
      const stored = new DataCipher(first).encrypt('secret', 'ctx');
      expect(new DataCipher(second).decrypt(stored, 'ctx')).toBe('secret');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('WebAuthn relying party', () => {
  it('defaults to APP_URL: its host name as RP id, its origin as the only origin', () => {
    expect(loadConfig({}).mfa.webauthn).toEqual({ rpId: 'localhost', rpName: 'Portcullis', origins: ['http://localhost:3000'] });
    expect(loadConfig({ APP_URL: 'https://app.example.com/dashboard' }).mfa.webauthn).toEqual({
      rpId: 'app.example.com',
      rpName: 'Portcullis',
      origins: ['https://app.example.com'],
    });
  });

  it('takes an RP id and origins on that domain or its subdomains', () => {
    const config = loadConfig({ WEBAUTHN_RP_ID: 'Example.com', WEBAUTHN_ORIGINS: 'https://example.com,https://app.example.com', WEBAUTHN_RP_NAME: 'Example' });
    expect(config.mfa.webauthn).toEqual({ rpId: 'example.com', rpName: 'Example', origins: ['https://example.com', 'https://app.example.com'] });
  });

  it.each([
    ['an origin off the RP id', { WEBAUTHN_RP_ID: 'example.com', WEBAUTHN_ORIGINS: 'https://example.org' }, /^WEBAUTHN_ORIGINS https:\/\/example.org not on WEBAUTHN_RP_ID example.com/],
    ['a look-alike domain', { WEBAUTHN_RP_ID: 'example.com', WEBAUTHN_ORIGINS: 'https://notexample.com' }, /^WEBAUTHN_ORIGINS https:\/\/notexample.com not on WEBAUTHN_RP_ID/],
    ['an RP id with a scheme', { WEBAUTHN_RP_ID: 'https://example.com' }, /^WEBAUTHN_RP_ID must be a domain name/],
    ['an origin with a path', { WEBAUTHN_ORIGINS: 'http://localhost:3000/app' }, /^WEBAUTHN_ORIGINS "http:\/\/localhost:3000\/app" is not an origin/],
    ['a TOTP issuer with a colon', { TOTP_ISSUER: 'Acme: prod' }, /^TOTP_ISSUER must not contain ":"/],
  ])('refuses %s with one line', (_name, env, line) => {
    expect(configProblems(env)).toEqual([expect.stringMatching(line)]);
  });
});

// Development signing keys, made once and kept under DATA_DIR so tokens survive a restart.
// loadConfig refuses to run production without real keys.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DATA_KEY_BYTES, parseDataKey, type DataKeys } from '../crypto/data-cipher';
import { pemSigningKey, secretSigningKey, tokenKeys, type Algorithm, type TokenKeys } from '../auth/keys';

interface StoredKeys {
  algorithm: Algorithm;
  access: string;
  refresh: string;
}

export function loadOrCreateDevKeys(dataDir: string, algorithm: Algorithm): TokenKeys {
  const file = path.join(dataDir, `dev-keys.${algorithm.toLowerCase()}.json`);
  let stored: StoredKeys;
  if (existsSync(file)) {
    stored = JSON.parse(readFileSync(file, 'utf8')) as StoredKeys;
  } else {
    stored = { algorithm, access: makeKey(algorithm), refresh: makeKey(algorithm) };
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, JSON.stringify(stored, null, 2), { mode: 0o600 });
  }
  const build = (material: string) => (algorithm === 'HS256' ? secretSigningKey(material) : pemSigningKey(algorithm, material));
  return tokenKeys(build(stored.access), build(stored.refresh));
}

function makeKey(algorithm: Algorithm): string {
  if (algorithm === 'HS256') return randomBytes(48).toString('base64url');
  const { privateKey } =
    algorithm === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
}

/** The development DATA_ENCRYPTION_KEY (issue 13), made once under DATA_DIR: losing it loses every TOTP secret. */
export function loadOrCreateDevDataKeys(dataDir: string): DataKeys {
  const file = path.join(dataDir, 'dev-data-key.base64');
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, `${randomBytes(DATA_KEY_BYTES).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  }
  return { active: parseDataKey(readFileSync(file, 'utf8')), old: [] };
}

// Key material for tests that configure RS256/ES256: generated pairs and the env variables that carry them.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';

export interface KeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export const newKeyPair = (algorithm: 'RS256' | 'ES256'): KeyPair =>
  algorithm === 'RS256' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' });

export const privatePem = (pair: KeyPair): string => pair.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
export const publicPem = (pair: KeyPair): string => pair.publicKey.export({ format: 'pem', type: 'spki' }).toString();

/** The env of one rotation step: the signing pair per token kind, plus the public keys published beside it. */
export function keyEnv(
  algorithm: 'RS256' | 'ES256',
  keys: { access: KeyPair; refresh: KeyPair; accessPublished?: KeyPair[]; refreshPublished?: KeyPair[] },
): Record<string, string> {
  return {
    JWT_ALGORITHM: algorithm,
    JWT_PRIVATE_KEY: privatePem(keys.access),
    JWT_REFRESH_PRIVATE_KEY: privatePem(keys.refresh),
    JWT_PUBLIC_KEYS: (keys.accessPublished ?? []).map(publicPem).join(''),
    JWT_REFRESH_PUBLIC_KEYS: (keys.refreshPublished ?? []).map(publicPem).join(''),
  };
}

// The signing and verification keys from the environment (SPEC §6 and the rotation procedure in
// docs/tokens-and-sessions.md): the active key per token kind, plus any keys published for a rotation. Every problem
// is added to `problems`, one line each.
import { readFileSync } from 'node:fs';
import {
  pemSigningKey,
  pemVerificationKey,
  secretSigningKey,
  tokenKeys,
  type Algorithm,
  type SigningKey,
  type TokenKeys,
  type VerificationKey,
} from '../auth/keys';
import type { Env, RawEnv } from './env.schema';

const PEM_BLOCK = /-----BEGIN ([A-Z ]+)-----[\s\S]+?-----END \1-----/g;

export function keyVariables(algorithm: Algorithm): string {
  return algorithm === 'HS256' ? 'JWT_SECRET and JWT_REFRESH_SECRET' : 'JWT_PRIVATE_KEY and JWT_REFRESH_PRIVATE_KEY (or their _FILE variants)';
}

/** Builds both key sets, or returns undefined when none is configured (dev keys then apply). */
export function loadKeys(env: Env, rawEnv: RawEnv, problems: string[]): TokenKeys | undefined {
  const before = problems.length;
  const attempt = <T>(name: string, build: () => T): T | undefined => {
    try {
      return build();
    } catch (error) {
      problems.push(`${name} ${(error as Error).message}`);
      return undefined;
    }
  };
  const active = env.JWT_ALGORITHM === 'HS256' ? loadSecrets(env, problems, attempt) : loadPemKeys(env, rawEnv, problems, attempt);
  const extra = loadVerificationKeys(env, rawEnv, problems, attempt);
  if (!active) {
    if (problems.length === before && (extra.access.length > 0 || extra.refresh.length > 0)) {
      problems.push(`extra verification keys need the signing keys too: set ${keyVariables(env.JWT_ALGORITHM)}`);
    }
    return undefined;
  }
  if (problems.length > before) return undefined;
  return attempt('JWT keys:', () => tokenKeys(active.access, active.refresh, extra));
}

type Attempt = <T>(name: string, build: () => T) => T | undefined;

function loadSecrets(env: Env, problems: string[], attempt: Attempt) {
  if (!env.JWT_SECRET && !env.JWT_REFRESH_SECRET) return undefined;
  if (!env.JWT_SECRET || !env.JWT_REFRESH_SECRET) {
    problems.push('JWT_SECRET and JWT_REFRESH_SECRET must be set together');
    return undefined;
  }
  if (env.JWT_SECRET === env.JWT_REFRESH_SECRET) {
    problems.push('JWT_REFRESH_SECRET must differ from JWT_SECRET, so a refresh token can never pass as an access token');
    return undefined;
  }
  const access = attempt('JWT_SECRET', () => secretSigningKey(env.JWT_SECRET!));
  const refresh = attempt('JWT_REFRESH_SECRET', () => secretSigningKey(env.JWT_REFRESH_SECRET!));
  return access && refresh ? { access, refresh } : undefined;
}

function loadPemKeys(env: Env, rawEnv: RawEnv, problems: string[], attempt: Attempt) {
  const algorithm = env.JWT_ALGORITHM as 'RS256' | 'ES256';
  const pem = (name: string) => readPem(name, rawEnv, problems);
  const accessPrivate = pem('JWT_PRIVATE_KEY');
  const refreshPrivate = pem('JWT_REFRESH_PRIVATE_KEY');
  const accessPublic = pem('JWT_PUBLIC_KEY');
  const refreshPublic = pem('JWT_REFRESH_PUBLIC_KEY');
  if (!accessPrivate && !refreshPrivate) return undefined;
  if (!accessPrivate || !refreshPrivate) {
    problems.push('JWT_PRIVATE_KEY and JWT_REFRESH_PRIVATE_KEY must be set together (inline PEM, base64 PEM, or *_FILE)');
    return undefined;
  }
  const access = attempt('JWT_PRIVATE_KEY', () => pemSigningKey(algorithm, accessPrivate, accessPublic));
  const refresh = attempt('JWT_REFRESH_PRIVATE_KEY', () => pemSigningKey(algorithm, refreshPrivate, refreshPublic));
  if (access && refresh && access.kid === refresh.kid) {
    problems.push('JWT_REFRESH_PRIVATE_KEY must differ from JWT_PRIVATE_KEY');
    return undefined;
  }
  return access && refresh ? { access, refresh } : undefined;
}

/**
 * Keys accepted for verification but never used to sign: HS256 secrets in JWT_VERIFICATION_SECRETS
 * (comma-separated), public keys in JWT_PUBLIC_KEYS (one or more PEM blocks); the same for refresh tokens.
 */
function loadVerificationKeys(env: Env, rawEnv: RawEnv, problems: string[], attempt: Attempt) {
  const hmac = env.JWT_ALGORITHM === 'HS256';
  const load = (secretsName: string, keysName: string): VerificationKey[] => {
    const secrets = (rawEnv[secretsName] ?? '').split(',').map((secret) => secret.trim()).filter(Boolean);
    const pems = readPem(keysName, rawEnv, problems, { several: true });
    if (hmac && pems) problems.push(`${keysName} holds public keys, which HS256 does not use: list extra secrets in ${secretsName}`);
    if (!hmac && secrets.length > 0) problems.push(`${secretsName} holds HMAC secrets, which ${env.JWT_ALGORITHM} does not use: list extra public keys in ${keysName}`);
    const keys: (SigningKey | VerificationKey | undefined)[] = hmac
      ? secrets.map((secret, index) => attempt(`${secretsName} (entry ${index + 1})`, () => secretSigningKey(secret)))
      : (pems?.match(PEM_BLOCK) ?? []).map((block, index) =>
          attempt(`${keysName} (key ${index + 1})`, () => pemVerificationKey(env.JWT_ALGORITHM as 'RS256' | 'ES256', block)),
        );
    // Only the verification half travels on: an extra HMAC secret never signs.
    return keys.filter((key) => key !== undefined).map(({ algorithm, kid, verificationKey }) => ({ algorithm, kid, verificationKey }));
  };
  return {
    access: load('JWT_VERIFICATION_SECRETS', 'JWT_PUBLIC_KEYS'),
    refresh: load('JWT_REFRESH_VERIFICATION_SECRETS', 'JWT_REFRESH_PUBLIC_KEYS'),
  };
}

/**
 * A PEM from NAME (inline, with literal \n allowed, or base64 of the PEM) or from the file NAME_FILE.
 * With `several`, the text may hold several PEM blocks one after the other.
 */
function readPem(name: string, rawEnv: RawEnv, problems: string[], options: { several?: boolean } = {}): string | undefined {
  const inline = rawEnv[name]?.trim();
  const file = rawEnv[`${name}_FILE`]?.trim();
  if (inline && file) {
    problems.push(`${name} and ${name}_FILE are both set: choose one`);
    return undefined;
  }
  let text = inline;
  if (file) {
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      problems.push(`${name}_FILE cannot be read: ${(error as NodeJS.ErrnoException).code ?? 'error'} ${file}`);
      return undefined;
    }
  }
  if (!text) return undefined;
  if (text.includes('-----BEGIN')) return text.replace(/\\n/g, '\n');
  const decoded = Buffer.from(text, 'base64').toString('utf8');
  if (decoded.includes('-----BEGIN')) return decoded;
  problems.push(`${name} must be ${options.several ? 'one or more PEM keys' : 'a PEM key'}, inline or base64-encoded`);
  return undefined;
}

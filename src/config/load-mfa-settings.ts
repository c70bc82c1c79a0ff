// The settings of the second factor and passkeys (issue 13): DATA_ENCRYPTION_KEY and its rotation list,
// the WebAuthn relying party (defaults from APP_URL) and TOTP_ISSUER, with their cross-checks.
import { parseDataKey, type DataKey, type DataKeys } from '../crypto/data-cipher';
import type { Config } from './config';
import type { Env } from './env.schema';

export function loadMfaSettings(
  env: Env,
  { production, valid }: { production: boolean; valid: (...names: string[]) => boolean },
  problems: string[],
): Pick<Config, 'dataEncryption' | 'mfa'> {
  const keys = loadDataKeys(env, problems);
  if (production && !env.DATA_ENCRYPTION_KEY && valid('DATA_ENCRYPTION_KEY')) {
    problems.push('DATA_ENCRYPTION_KEY is required in production (32 random bytes, base64: openssl rand -base64 32); the dev key under DATA_DIR is for development');
  }
  const webauthn = {
    rpId: env.WEBAUTHN_RP_ID?.toLowerCase() ?? new URL(env.APP_URL).hostname,
    rpName: env.WEBAUTHN_RP_NAME,
    origins: env.WEBAUTHN_ORIGINS.length > 0 ? env.WEBAUTHN_ORIGINS : [new URL(env.APP_URL).origin],
  };
  const strayOrigins = webauthn.origins.filter((origin) => !hostWithin(new URL(origin).hostname, webauthn.rpId));
  if (strayOrigins.length > 0 && valid('WEBAUTHN_RP_ID', 'WEBAUTHN_ORIGINS', 'APP_URL')) {
    problems.push(`WEBAUTHN_ORIGINS ${strayOrigins.join(', ')} not on WEBAUTHN_RP_ID ${webauthn.rpId} or a subdomain of it: browsers refuse such passkeys; set WEBAUTHN_RP_ID to their domain`);
  }
  return { dataEncryption: { keys }, mfa: { totpIssuer: env.TOTP_ISSUER, webauthn } };
}

/** A WebAuthn origin's host must be the RP id or a subdomain of it. */
const hostWithin = (host: string, domain: string): boolean => host === domain || host.endsWith(`.${domain}`);

/** Undefined when DATA_ENCRYPTION_KEY is unset (a dev key is made under DATA_DIR; production refuses that). */
function loadDataKeys(env: Pick<Env, 'DATA_ENCRYPTION_KEY' | 'DATA_ENCRYPTION_OLD_KEYS'>, problems: string[]): DataKeys | undefined {
  const old: DataKey[] = [];
  (env.DATA_ENCRYPTION_OLD_KEYS ?? '').split(',').map((text) => text.trim()).filter(Boolean).forEach((text, index) => {
    try {
      old.push(parseDataKey(text));
    } catch (error) {
      problems.push(`DATA_ENCRYPTION_OLD_KEYS entry ${index + 1} ${(error as Error).message}`);
    }
  });
  if (env.DATA_ENCRYPTION_KEY === undefined) {
    if (old.length > 0) problems.push('DATA_ENCRYPTION_OLD_KEYS is set but DATA_ENCRYPTION_KEY is not: set the new key in DATA_ENCRYPTION_KEY');
    return undefined;
  }
  try {
    const active = parseDataKey(env.DATA_ENCRYPTION_KEY);
    return { active, old: old.filter((key) => key.id !== active.id) };
  } catch (error) {
    problems.push(`DATA_ENCRYPTION_KEY ${(error as Error).message}`);
    return undefined;
  }
}

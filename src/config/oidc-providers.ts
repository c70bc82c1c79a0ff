// The OpenID providers users may sign in with (SPEC §12): OIDC_PROVIDERS names them, and each one's
// OIDC_<ID>_* variables describe it. Parsed once here, with one fix-it line per problem.
import type { RawEnv } from './env.schema';

export interface OidcProviderConfig {
  /** The id in OIDC_PROVIDERS and in the URLs (/auth/oidc/<id>/start), lower-case. */
  readonly id: string;
  /** What a login page writes on the button (OIDC_<ID>_NAME, default the id). */
  readonly displayName: string;
  /** The issuer identifier; its /.well-known/openid-configuration is discovered at start-up. */
  readonly issuer: string;
  readonly clientId: string;
  /** Unset: a public client (PKCE only, no client authentication). */
  readonly clientSecret: string | undefined;
  /** Requested in the browser flow; always includes openid. */
  readonly scopes: string;
  /** The `aud` values accepted by signInWithIdToken (native apps often have client ids of their own). */
  readonly audiences: readonly string[];
}

export const DEFAULT_OIDC_SCOPES = 'openid email profile';

const ID = /^[a-z][a-z0-9_]{0,31}$/;
type Suffix = 'ISSUER' | 'CLIENT_ID' | 'CLIENT_SECRET' | 'SCOPES' | 'AUDIENCES' | 'NAME';

const text = (value: string | undefined): string | undefined => (value === undefined || value.trim() === '' ? undefined : value.trim());
const variable = (id: string, suffix: Suffix): string => `OIDC_${id.toUpperCase()}_${suffix}`;

/** Outside production an unset PUBLIC_URL means the service on this machine: http://localhost:<PORT>. */
export function loadOidcProviders(rawEnv: RawEnv, problems: string[], options: { production: boolean; publicUrl: string | undefined }): OidcProviderConfig[] {
  const ids = (text(rawEnv.OIDC_PROVIDERS) ?? '').split(',').map((id) => id.trim()).filter(Boolean);
  const providers: OidcProviderConfig[] = [];
  const seen = new Set<string>();
  for (const id of ids) {
    if (!ID.test(id)) {
      problems.push(`OIDC_PROVIDERS: "${id}" is not a provider id (lower-case letters, digits and _, starting with a letter, like google,corp)`);
      continue;
    }
    if (seen.has(id)) {
      problems.push(`OIDC_PROVIDERS lists ${id} twice: list each provider once`);
      continue;
    }
    seen.add(id);
    const provider = loadProvider(id, rawEnv, problems, options.production);
    if (provider) providers.push(provider);
  }
  // A variable for a provider that is not listed is a typo or a forgotten entry: silence would hide it.
  for (const name of Object.keys(rawEnv)) {
    const match = /^OIDC_(.+)_(ISSUER|CLIENT_ID|CLIENT_SECRET|SCOPES|AUDIENCES|NAME)$/.exec(name);
    if (!match || rawEnv[name] === undefined) continue;
    const id = match[1]!.toLowerCase();
    if (!seen.has(id) && !ids.includes(id)) problems.push(`${name} is set but ${id} is not in OIDC_PROVIDERS: add ${id} to OIDC_PROVIDERS or remove ${name}`);
  }
  if (ids.length > 0 && !options.publicUrl && options.production) {
    problems.push(
      'OIDC_PROVIDERS needs PUBLIC_URL (the service as browsers reach it, like https://auth.example.com): each provider redirects to PUBLIC_URL/auth/oidc/<id>/callback',
    );
  }
  return providers;
}

function loadProvider(id: string, rawEnv: RawEnv, problems: string[], production: boolean): OidcProviderConfig | undefined {
  const get = (suffix: Suffix) => text(rawEnv[variable(id, suffix)]);
  const before = problems.length;
  const issuer = get('ISSUER');
  if (!issuer) {
    problems.push(`${variable(id, 'ISSUER')} is required for provider ${id}: the issuer URL, like https://accounts.google.com`);
  } else if (!isIssuer(issuer, production)) {
    problems.push(
      `${variable(id, 'ISSUER')} must be an ${production ? 'https' : 'http or https'} URL without query or fragment, like https://accounts.google.com (got "${issuer}")`,
    );
  }
  const clientId = get('CLIENT_ID');
  if (!clientId) problems.push(`${variable(id, 'CLIENT_ID')} is required for provider ${id}: the client id the provider gave this service`);
  const scopes = (get('SCOPES') ?? DEFAULT_OIDC_SCOPES).split(/[\s,]+/).filter(Boolean);
  if (!scopes.includes('openid')) {
    problems.push(`${variable(id, 'SCOPES')} must include openid (like "${DEFAULT_OIDC_SCOPES}")`);
  }
  const audiences = get('AUDIENCES')?.split(',').map((audience) => audience.trim()).filter(Boolean);
  if (problems.length > before || !issuer || !clientId) return undefined;
  return {
    id,
    displayName: get('NAME') ?? id,
    issuer,
    clientId,
    clientSecret: get('CLIENT_SECRET'),
    scopes: scopes.join(' '),
    audiences: audiences && audiences.length > 0 ? audiences : [clientId],
  };
}

/** An issuer is compared exactly with the discovered one, so it is kept as written (trailing slash included). */
function isIssuer(value: string, production: boolean): boolean {
  try {
    const url = new URL(value);
    const protocols = production ? ['https:'] : ['https:', 'http:'];
    return protocols.includes(url.protocol) && !url.search && !url.hash;
  } catch {
    return false;
  }
}

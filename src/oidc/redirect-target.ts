// Where a browser may be sent back after a provider sign-in (SPEC §12): only to APP_URL's origin or an
// origin in CORS_ORIGINS. Anything else would make /auth/oidc an open redirect (and hand the
// ?error= answer, or the signed-in browser, to another site).

/** The URL to return to, or null when it is not allowed; missing → APP_URL. */
export function allowedRedirect(value: unknown, settings: { appUrl: string; corsOrigins: readonly string[] }): string | null {
  if (value === undefined) return settings.appUrl;
  if (typeof value !== 'string' || value === '' || value.length > 2_000) return null;
  let url: URL;
  try {
    url = new URL(value); // absolute only: a relative path has no origin to check
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
  if (url.username || url.password) return null;
  const allowed = new Set([new URL(settings.appUrl).origin, ...settings.corsOrigins]);
  return allowed.has(url.origin) ? url.toString() : null;
}

/** The return URL with ?error=<code> set (replacing any error already there). */
export function withError(redirectTo: string, code: string): string {
  const url = new URL(redirectTo);
  url.searchParams.set('error', code);
  return url.toString();
}

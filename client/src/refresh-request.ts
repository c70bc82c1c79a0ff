// The refresh call itself: POST the `refresh` mutation with the browser's cookies, so the
// httpOnly refresh_token cookie is what proves the session (the token never reaches script).

/** What one refresh attempt ended with. `rejected` is final (reuse, expired, revoked); `unavailable` is worth retrying. */
export type RefreshOutcome =
  | { kind: 'refreshed'; accessToken: string; expiresIn: number }
  | { kind: 'rejected'; code: string }
  | { kind: 'unavailable'; reason: string };

export type RefreshRequest = () => Promise<RefreshOutcome>;

const REFRESH = 'mutation Refresh { refresh { accessToken expiresIn } }';

/** Codes that mean the session is gone: signing out is the only answer. */
const FINAL_CODES = new Set(['UNAUTHENTICATED', 'FORBIDDEN']);

export function refreshOverHttp(uri: string, fetchImpl: typeof fetch = (...args) => fetch(...args)): RefreshRequest {
  return async () => {
    let response: Response;
    try {
      response = await fetchImpl(uri, {
        method: 'POST',
        credentials: 'include',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ operationName: 'Refresh', query: REFRESH }),
      });
    } catch (error) {
      return { kind: 'unavailable', reason: error instanceof Error ? error.message : 'network error' };
    }
    let body: { data?: { refresh?: { accessToken?: unknown; expiresIn?: unknown } | null } | null; errors?: Array<{ extensions?: { code?: unknown } }> };
    try {
      body = (await response.json()) as typeof body;
    } catch {
      return { kind: 'unavailable', reason: `HTTP ${response.status} without a GraphQL body` };
    }
    const refreshed = body.data?.refresh;
    if (refreshed && typeof refreshed.accessToken === 'string' && typeof refreshed.expiresIn === 'number') {
      return { kind: 'refreshed', accessToken: refreshed.accessToken, expiresIn: refreshed.expiresIn };
    }
    const code = body.errors?.[0]?.extensions?.code;
    if (typeof code === 'string' && FINAL_CODES.has(code)) return { kind: 'rejected', code };
    return { kind: 'unavailable', reason: typeof code === 'string' ? code : `HTTP ${response.status}` };
  };
}

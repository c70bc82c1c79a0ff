// A small browser for redirect flows: follows redirects by hand and keeps cookies per origin (stricter
// than a real browser, which shares cookies across the ports of one host), honouring Path, Max-Age,
// Expires and Secure. Enough to drive an OpenID sign-in end to end over HTTP.
import setCookieParser from 'set-cookie-parser';

interface StoredCookie {
  value: string;
  path: string;
  secure: boolean;
  expiresAtMs: number | undefined;
}

export interface Hop {
  url: string;
  status: number;
}

export class Browser {
  private readonly jar = new Map<string, Map<string, StoredCookie>>();

  /** One request, no redirect followed; cookies sent and stored. */
  async get(url: string | URL): Promise<Response> {
    const target = new URL(url);
    const cookie = this.cookieHeader(target);
    const response = await fetch(target, { redirect: 'manual', headers: cookie ? { cookie } : {} });
    this.store(target, response.headers.getSetCookie());
    return response;
  }

  /**
   * Follows redirects from `url` until one points to where `stopAt` says (not fetched: the web app), or a
   * response is not a redirect. Returns the stopping URL (or the last one fetched) and every hop.
   */
  async follow(url: string | URL, stopAt: (url: URL) => boolean, maxHops = 20): Promise<{ url: URL; hops: Hop[]; response?: Response }> {
    let current = new URL(url);
    const hops: Hop[] = [];
    for (let hop = 0; hop < maxHops; hop += 1) {
      if (stopAt(current)) return { url: current, hops };
      const response = await this.get(current);
      hops.push({ url: current.toString(), status: response.status });
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !location) return { url: current, hops, response };
      await response.body?.cancel();
      current = new URL(location, current);
    }
    throw new Error(`more than ${maxHops} redirects: ${hops.map((h) => h.url).join(' → ')}`);
  }

  /** The cookies this browser would send to `url`, by name. */
  cookies(url: string | URL): Record<string, string> {
    const target = new URL(url);
    const now = Date.now();
    const result: Record<string, string> = {};
    for (const [name, cookie] of this.jar.get(target.origin) ?? []) {
      if (cookie.expiresAtMs !== undefined && cookie.expiresAtMs <= now) continue;
      if (cookie.secure && target.protocol !== 'https:') continue;
      if (!pathMatches(target.pathname, cookie.path)) continue;
      result[name] = cookie.value;
    }
    return result;
  }

  setCookie(url: string | URL, name: string, value: string, path = '/'): void {
    const origin = new URL(url).origin;
    if (!this.jar.has(origin)) this.jar.set(origin, new Map());
    this.jar.get(origin)!.set(name, { value, path, secure: false, expiresAtMs: undefined });
  }

  private cookieHeader(target: URL): string {
    return Object.entries(this.cookies(target))
      .map(([name, value]) => `${name}=${value}`)
      .join('; ');
  }

  private store(target: URL, headers: string[]): void {
    if (!this.jar.has(target.origin)) this.jar.set(target.origin, new Map());
    const cookies = this.jar.get(target.origin)!;
    for (const cookie of setCookieParser.parse(headers, { decodeValues: false })) {
      const expiresAtMs = cookie.maxAge !== undefined ? Date.now() + cookie.maxAge * 1000 : cookie.expires?.getTime();
      if (expiresAtMs !== undefined && expiresAtMs <= Date.now()) {
        cookies.delete(cookie.name);
        continue;
      }
      cookies.set(cookie.name, { value: cookie.value, path: cookie.path ?? defaultPath(target), secure: cookie.secure ?? false, expiresAtMs });
    }
  }
}

function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  return requestPath.startsWith(cookiePath) && (cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/');
}

function defaultPath(url: URL): string {
  const index = url.pathname.lastIndexOf('/');
  return index <= 0 ? '/' : url.pathname.slice(0, index);
}

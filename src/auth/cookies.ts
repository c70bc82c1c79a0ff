// The auth cookies (SPEC §6): HttpOnly access_token and refresh_token, and a script-readable logged_in flag.
import type { CookieOptions, Response } from 'express';
import type { Config } from '../config/config';

export const ACCESS_COOKIE = 'access_token';
export const REFRESH_COOKIE = 'refresh_token';
export const LOGGED_IN_COOKIE = 'logged_in';

export class AuthCookies {
  constructor(
    private readonly response: Response,
    private readonly settings: Config['cookies'],
  ) {}

  set(tokens: { accessToken: { token: string; expiresAt: number }; refreshToken: { token: string; expiresAt: number } }): void {
    const { accessToken, refreshToken } = tokens;
    this.response.cookie(ACCESS_COOKIE, accessToken.token, this.options(true, accessToken.expiresAt));
    this.response.cookie(REFRESH_COOKIE, refreshToken.token, this.options(true, refreshToken.expiresAt));
    this.response.cookie(LOGGED_IN_COOKIE, 'true', this.options(false, refreshToken.expiresAt));
  }

  clear(): void {
    for (const [name, httpOnly] of [[ACCESS_COOKIE, true], [REFRESH_COOKIE, true], [LOGGED_IN_COOKIE, false]] as const) {
      const { expires: _expires, ...options } = this.options(httpOnly, 0);
      this.response.clearCookie(name, options);
    }
  }

  private options(httpOnly: boolean, expiresAt: number): CookieOptions {
    return {
      httpOnly,
      secure: this.settings.secure,
      sameSite: this.settings.sameSite,
      domain: this.settings.domain,
      path: '/',
      expires: new Date(expiresAt * 1000),
    };
  }
}

/**
 * The token a request carries: a Bearer Authorization header first (even a malformed one, which
 * then fails verification), else the access cookie. Other schemes are not ours and are ignored.
 */
export function accessTokenFrom(headers: { authorization?: string }, cookies: Record<string, unknown>): string | undefined {
  const bearer = /^Bearer(?:[ \t]+(.*))?$/i.exec(headers.authorization ?? '');
  if (bearer) return bearer[1]?.trim() || 'malformed-bearer-header';
  const cookie = cookies[ACCESS_COOKIE];
  return typeof cookie === 'string' && cookie !== '' ? cookie : undefined;
}

export function refreshTokenFrom(cookies: Record<string, unknown>): string | undefined {
  const cookie = cookies[REFRESH_COOKIE];
  return typeof cookie === 'string' && cookie !== '' ? cookie : undefined;
}

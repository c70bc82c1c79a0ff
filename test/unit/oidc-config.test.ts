// OIDC_PROVIDERS and each provider's OIDC_<ID>_* (SPEC §12): defaults, and every mistake refused with
// one line that says how to fix it. Also where a sign-in may send the browser back to (redirect_to).
import { loadConfig } from '../../src/config/config';
import { allowedRedirect } from '../../src/oidc/redirect-target';
import { configProblems } from '../helpers/config-problems';

const BASE = { PUBLIC_URL: 'https://auth.example.com' };
const PRODUCTION = {
  NODE_ENV: 'production',
  DATABASE_URL: 'postgresql://db.internal/portcullis',
  REDIS_URL: 'redis://cache.internal:6379',
  JWT_SECRET: 'access-secret-of-exactly-32-byte',
  JWT_REFRESH_SECRET: 'refresh-secret-of-32-bytes-long!',
  DATA_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
  SMTP_URL: 'smtp://mail.internal:587',
};
const GOOGLE = {
  OIDC_PROVIDERS: 'google',
  OIDC_GOOGLE_ISSUER: 'https://accounts.google.com',
  OIDC_GOOGLE_CLIENT_ID: 'web-client.apps.googleusercontent.com',
  OIDC_GOOGLE_CLIENT_SECRET: 'shh',
};


describe('OpenID providers in the configuration', () => {
  it('has none by default, and APP_URL defaults to http://localhost:3000', () => {
    const config = loadConfig({});
    expect(config.oidc.providers).toEqual([]);
    expect(config.appUrl).toBe('http://localhost:3000');
  });

  it('reads a provider with the documented defaults: scopes "openid email profile", audiences = the client id, name = the id', () => {
    expect(loadConfig({ ...BASE, ...GOOGLE }).oidc.providers).toEqual([
      {
        id: 'google',
        displayName: 'google',
        issuer: 'https://accounts.google.com',
        clientId: 'web-client.apps.googleusercontent.com',
        clientSecret: 'shh',
        scopes: 'openid email profile',
        audiences: ['web-client.apps.googleusercontent.com'],
      },
    ]);
  });

  it('reads several providers with their names, scopes and extra audiences', () => {
    const config = loadConfig({
      ...BASE,
      ...GOOGLE,
      OIDC_PROVIDERS: 'google, corp',
      OIDC_GOOGLE_AUDIENCES: 'web-client.apps.googleusercontent.com, ios-client.apps.googleusercontent.com',
      OIDC_CORP_ISSUER: 'https://sso.corp.example/realms/staff',
      OIDC_CORP_CLIENT_ID: 'portcullis',
      OIDC_CORP_SCOPES: 'openid email',
      OIDC_CORP_NAME: 'Corp SSO',
    });
    expect(config.oidc.providers.map((provider) => [provider.id, provider.displayName, provider.scopes, provider.audiences, provider.clientSecret])).toEqual([
      ['google', 'google', 'openid email profile', ['web-client.apps.googleusercontent.com', 'ios-client.apps.googleusercontent.com'], 'shh'],
      ['corp', 'Corp SSO', 'openid email', ['portcullis'], undefined],
    ]);
  });

  it.each([
    ['a missing issuer', { OIDC_GOOGLE_ISSUER: '' }, 'OIDC_GOOGLE_ISSUER is required for provider google: the issuer URL, like https://accounts.google.com'],
    ['a missing client id', { OIDC_GOOGLE_CLIENT_ID: '' }, 'OIDC_GOOGLE_CLIENT_ID is required for provider google: the client id the provider gave this service'],
    ['an issuer that is not a URL', { OIDC_GOOGLE_ISSUER: 'accounts.google.com' }, 'OIDC_GOOGLE_ISSUER must be an http or https URL without query or fragment, like https://accounts.google.com (got "accounts.google.com")'],
    ['scopes without openid', { OIDC_GOOGLE_SCOPES: 'email profile' }, 'OIDC_GOOGLE_SCOPES must include openid (like "openid email profile")'],
    ['a bad provider id', { OIDC_PROVIDERS: 'google,Goo gle' }, 'OIDC_PROVIDERS: "Goo gle" is not a provider id (lower-case letters, digits and _, starting with a letter, like google,corp)'],
    ['a provider listed twice', { OIDC_PROVIDERS: 'google,google' }, 'OIDC_PROVIDERS lists google twice: list each provider once'],
    ['a variable for a provider not listed', { OIDC_GOGLE_CLIENT_ID: 'typo' }, 'OIDC_GOGLE_CLIENT_ID is set but gogle is not in OIDC_PROVIDERS: add gogle to OIDC_PROVIDERS or remove OIDC_GOGLE_CLIENT_ID'],
  ])('refuses %s with one line naming the fix', (_case, change, problem) => {
    expect(configProblems({ ...BASE, ...GOOGLE, ...change })).toEqual([problem]);
  });

  it('builds the callback URL from PUBLIC_URL, never from a request', () => {
    expect(loadConfig({ ...BASE, ...GOOGLE }).oidc.callbackBase).toBe('https://auth.example.com');
  });

  it('uses http://localhost:<PORT> for callbacks outside production when PUBLIC_URL is unset (npm start with a provider)', () => {
    expect(loadConfig({ ...GOOGLE, PORT: '4100' }).oidc.callbackBase).toBe('http://localhost:4100');
  });

  it('refuses an http issuer in production', () => {
    expect(configProblems({ ...PRODUCTION, ...BASE, ...GOOGLE, OIDC_GOOGLE_ISSUER: 'http://accounts.google.com' })).toEqual([
      'OIDC_GOOGLE_ISSUER must be an https URL without query or fragment, like https://accounts.google.com (got "http://accounts.google.com")',
    ]);
  });

  it('needs PUBLIC_URL in production: the callback registered at each provider is built from it', () => {
    expect(configProblems({ ...PRODUCTION, ...GOOGLE })).toEqual([
      'OIDC_PROVIDERS needs PUBLIC_URL (the service as browsers reach it, like https://auth.example.com): each provider redirects to PUBLIC_URL/auth/oidc/<id>/callback',
    ]);
  });

  it('reports every problem at once', () => {
    expect(configProblems({ OIDC_PROVIDERS: 'a,b', APP_URL: 'ftp://x' })).toHaveLength(5); // APP_URL, a and b's issuer and client id
  });
});

describe('redirect_to', () => {
  const settings = { appUrl: 'https://app.example.com/home', corsOrigins: ['https://admin.example.com'] };

  it("defaults to APP_URL and accepts any path on APP_URL's origin or a CORS origin", () => {
    expect(allowedRedirect(undefined, settings)).toBe('https://app.example.com/home');
    expect(allowedRedirect('https://app.example.com/deep/link?x=1#top', settings)).toBe('https://app.example.com/deep/link?x=1#top');
    expect(allowedRedirect('https://admin.example.com/', settings)).toBe('https://admin.example.com/');
  });

  it.each([
    'https://evil.example/',
    'http://app.example.com/', // another scheme is another origin
    'https://app.example.com.evil.example/',
    'https://app.example.com@evil.example/',
    'https://user:pw@app.example.com/',
    '//evil.example',
    '/relative',
    'javascript:alert(1)',
    '',
  ])('refuses %s', (target) => {
    expect(allowedRedirect(target, settings)).toBeNull();
  });

  it('refuses a list (?redirect_to=a&redirect_to=b) rather than picking one', () => {
    expect(allowedRedirect(['https://app.example.com/', 'https://evil.example/'], settings)).toBeNull();
  });
});

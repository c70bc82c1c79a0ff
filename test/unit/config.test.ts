// loadConfig (SPEC §9): defaults, value formats, signing keys, production requirements, and that
// every problem is reported at once, one line each.
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { availableParallelism } from 'node:os';
import { ConfigError, loadConfig, type Config } from '../../src/config/config';
import { configProblems } from '../helpers/config-problems';

type Env = Record<string, string>;

const SECRET = 'access-secret-of-exactly-32-byte';
const REFRESH_SECRET = 'refresh-secret-of-32-bytes-long!';
const PRODUCTION: Env = {
  NODE_ENV: 'production',
  DATABASE_URL: 'postgresql://portcullis:pw@db.internal:5432/portcullis',
  REDIS_URL: 'redis://cache.internal:6379',
  JWT_SECRET: SECRET,
  JWT_REFRESH_SECRET: REFRESH_SECRET,
  DATA_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
  SMTP_URL: 'smtp://mail.internal:587',
};

/** The problems of a configuration loadConfig must refuse; fails the test if it is accepted. */

/** RFC 7638 thumbprint, computed here independently of src/auth/keys.ts. */
function thumbprint(publicKey: KeyObject): string {
  const jwk = publicKey.export({ format: 'jwk' });
  const members = jwk.kty === 'EC' ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y } : { e: jwk.e, kty: jwk.kty, n: jwk.n };
  return createHash('sha256').update(JSON.stringify(members)).digest('base64url');
}

describe('loadConfig defaults', () => {
  it('fills every documented default when the environment is empty', () => {
    const config = loadConfig({});

    expect(config.env).toBe('development');
    expect(config.port).toBe(4000);
    expect(config.host).toBe('0.0.0.0');
    expect(config.databaseUrl).toBeUndefined();
    expect(config.redisUrl).toBeUndefined();
    expect(config.jwt.algorithm).toBe('HS256');
    expect(config.jwt.keys).toBeUndefined();
    expect(config.jwt.issuer).toBe('portcullis');
    expect(config.jwt.audience).toBe('portcullis');
    expect(config.jwt.accessTokenTtl.seconds).toBe(15 * 60);
    expect(config.jwt.refreshTokenTtl.seconds).toBe(7 * 86_400);
    expect(config.sessions.maxAge.seconds).toBe(30 * 86_400);
    expect(config.sessions.refreshReuseGrace.seconds).toBe(0);
    expect(config.sessions.refreshTokenInBody).toBe(true);
    expect(config.cookies).toEqual({ secure: true, sameSite: 'lax', domain: undefined });
    expect(config.http.bodyLimitBytes).toBe(1024 * 1024);
    expect(config.http.trustProxy).toBe(false);
    expect(config.http.corsOrigins).toEqual([]);
    expect(config.graphql.introspection).toBe(true);
    expect(config.argon2).toEqual({ memoryCost: 19_456, timeCost: 2, parallelism: 1, concurrency: Math.max(1, Math.min(Math.floor(availableParallelism() / 4), 3)), nice: 5 });
    expect(config.userCache.ttl.seconds).toBe(10);
    expect(config.userCache.maxEntries).toBe(10_000);
    expect(config.rateLimits.loginPerAccount.points).toBe(5);
    expect(config.rateLimits.loginPerAccount.window.seconds).toBe(15 * 60);
    expect(config.rateLimits.loginPerIp.points).toBe(50);
    expect(config.rateLimits.loginPerIp.window.seconds).toBe(15 * 60);
    expect(config.rateLimits.registerPerIp.points).toBe(20);
    expect(config.rateLimits.registerPerIp.window.seconds).toBe(60 * 60);
  });

  it('treats empty values as unset, so an empty line in .env keeps the default', () => {
    const config = loadConfig({ PORT: '', ACCESS_TOKEN_TTL: ' ', COOKIE_SECURE: '' });

    expect(config.port).toBe(4000);
    expect(config.jwt.accessTokenTtl.seconds).toBe(900);
    expect(config.cookies.secure).toBe(true);
  });

  it('keeps introspection on outside production', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).graphql.introspection).toBe(true);
    expect(loadConfig({ NODE_ENV: 'development' }).graphql.introspection).toBe(true);
  });

  it('turns introspection off in production unless GRAPHQL_INTROSPECTION=true', () => {
    expect(loadConfig(PRODUCTION).graphql.introspection).toBe(false);
    expect(loadConfig({ ...PRODUCTION, GRAPHQL_INTROSPECTION: 'true' }).graphql.introspection).toBe(true);
  });

  it('reads TRUST_PROXY none as no trusted proxy, a number as a hop count, and a list as addresses', () => {
    expect(loadConfig({ TRUST_PROXY: 'none' }).http.trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '2' }).http.trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8' }).http.trustProxy).toEqual(['loopback', '10.0.0.0/8']);
    expect(configProblems({ TRUST_PROXY: 'not-an-address' })[0]).toMatch(/^TRUST_PROXY /);
  });
});

describe('durations', () => {
  it.each([
    ['900', 900],
    ['15m', 900],
    ['2h', 7_200],
    ['7d', 604_800],
    ['1.5h', 5_400],
  ])('accepts ACCESS_TOKEN_TTL=%s as %i seconds', (value, seconds) => {
    expect(loadConfig({ ACCESS_TOKEN_TTL: value }).jwt.accessTokenTtl.seconds).toBe(seconds);
  });

  it.each(['15 minutes', '-5', 'abc', '0'])('refuses ACCESS_TOKEN_TTL=%s with a problem naming the variable and the value', (value) => {
    const problems = configProblems({ ACCESS_TOKEN_TTL: value });

    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^ACCESS_TOKEN_TTL /);
    expect(problems[0]).toContain(`"${value}"`);
  });

  it('refuses a bad duration in any duration variable, naming that variable', () => {
    expect(configProblems({ RATE_LIMIT_REGISTER_PER_IP_WINDOW: '1 hour' })[0]).toMatch(/^RATE_LIMIT_REGISTER_PER_IP_WINDOW /);
    expect(configProblems({ SESSION_MAX_AGE: '30days' })[0]).toMatch(/^SESSION_MAX_AGE /);
  });

  it('accepts REFRESH_REUSE_GRACE=0 but refuses a grace longer than 60 seconds', () => {
    expect(loadConfig({ REFRESH_REUSE_GRACE: '0' }).sessions.refreshReuseGrace.seconds).toBe(0);
    expect(loadConfig({ REFRESH_REUSE_GRACE: '60s' }).sessions.refreshReuseGrace.seconds).toBe(60);
    expect(configProblems({ REFRESH_REUSE_GRACE: '2m' })[0]).toMatch(/^REFRESH_REUSE_GRACE /);
  });

  it('gives client tokens CLIENT_TOKEN_TTL (default 1h) and refuses one longer than a day', () => {
    expect(loadConfig({}).clients.tokenTtl.seconds).toBe(3600);
    expect(loadConfig({ CLIENT_TOKEN_TTL: '1d' }).clients.tokenTtl.seconds).toBe(86_400);
    expect(configProblems({ CLIENT_TOKEN_TTL: '25h' })).toEqual([expect.stringMatching(/^CLIENT_TOKEN_TTL must be at most 1d/)]);
    expect(configProblems({ CLIENT_TOKEN_TTL: 'soon' })).toEqual([expect.stringMatching(/^CLIENT_TOKEN_TTL must be whole seconds/)]);
  });

  it('refuses an access-token lifetime longer than the refresh-token lifetime', () => {
    expect(configProblems({ ACCESS_TOKEN_TTL: '8d' })).toEqual([expect.stringMatching(/^ACCESS_TOKEN_TTL .*REFRESH_TOKEN_TTL/)]);
  });
});

describe('hot-path settings', () => {
  it('accepts USER_CACHE_TTL=0 (no cache) and refuses a value that is no duration', () => {
    expect(loadConfig({ USER_CACHE_TTL: '0' }).userCache.ttl.seconds).toBe(0);
    expect(loadConfig({ USER_CACHE_TTL: '1m', USER_CACHE_SIZE: '500' }).userCache).toMatchObject({ maxEntries: 500 });
    expect(configProblems({ USER_CACHE_TTL: 'soon' })).toEqual([
      'USER_CACHE_TTL must be whole seconds or a number with s, m, h or d, like 10s, or 0 for off (got "soon")',
    ]);
    expect(configProblems({ USER_CACHE_SIZE: '0' })).toEqual(['USER_CACHE_SIZE must be a whole number from 1 to 9007199254740991 (got "0")']);
  });

  it('refuses an ARGON2_CONCURRENCY that would take every libuv thread, and accepts it with a larger pool', () => {
    expect(configProblems({ ARGON2_CONCURRENCY: '4' })).toEqual([
      'ARGON2_CONCURRENCY must be below UV_THREADPOOL_SIZE (4), or hashing takes every libuv thread: lower it or raise UV_THREADPOOL_SIZE',
    ]);
    expect(loadConfig({ ARGON2_CONCURRENCY: '4', UV_THREADPOOL_SIZE: '8' }).argon2.concurrency).toBe(4);
    expect(configProblems({ ARGON2_CONCURRENCY: '0' })).toEqual(['ARGON2_CONCURRENCY must be a whole number from 1 to 1024 (got "0")']);
  });
});

describe('booleans and enum values', () => {
  it('reads booleans in any case', () => {
    expect(loadConfig({ COOKIE_SECURE: 'TRUE' }).cookies.secure).toBe(true);
    expect(loadConfig({ COOKIE_SECURE: 'False' }).cookies.secure).toBe(false);
    expect(loadConfig({ REFRESH_TOKEN_IN_BODY: 'FALSE' }).sessions.refreshTokenInBody).toBe(false);
    expect(loadConfig({ ...PRODUCTION, GRAPHQL_INTROSPECTION: 'True' }).graphql.introspection).toBe(true);
  });

  it('reads enum values in any case and normalises them', () => {
    expect(loadConfig({ COOKIE_SAMESITE: 'Lax' }).cookies.sameSite).toBe('lax');
    expect(loadConfig({ COOKIE_SAMESITE: 'STRICT' }).cookies.sameSite).toBe('strict');
    expect(loadConfig({ JWT_ALGORITHM: 'hs256' }).jwt.algorithm).toBe('HS256');
    expect(loadConfig({ LOG_LEVEL: 'Debug' }).logLevel).toBe('debug');
    const production = loadConfig({ ...PRODUCTION, NODE_ENV: 'Production' });
    expect(production.env).toBe('production');
    expect(production.graphql.introspection).toBe(false);
  });

  it('writes sessions in layout v2 unless SESSION_LAYOUT says v1, and refuses any other layout', () => {
    expect(loadConfig({}).sessions.layout).toBe('v2');
    expect(loadConfig({ SESSION_LAYOUT: 'V1' }).sessions.layout).toBe('v1');
    expect(configProblems({ SESSION_LAYOUT: 'v3' })).toEqual(['SESSION_LAYOUT must be one of v2, v1 (got "v3")']);
  });

  it('refuses a value that is not a boolean, naming the variable', () => {
    const problems = configProblems({ COOKIE_SECURE: 'maybe' });

    expect(problems).toEqual([expect.stringMatching(/^COOKIE_SECURE .*"maybe"/)]);
  });

  it('refuses an unknown enum value and lists the allowed ones', () => {
    expect(configProblems({ JWT_ALGORITHM: 'none' })).toEqual([expect.stringMatching(/^JWT_ALGORITHM .*HS256, RS256, ES256/)]);
    expect(configProblems({ NODE_ENV: 'staging' })).toEqual([expect.stringMatching(/^NODE_ENV /)]);
  });
});

describe('HS256 secrets', () => {
  it('refuses a secret of 31 bytes, naming the variable', () => {
    const problems = configProblems({ JWT_SECRET: 'x'.repeat(31), JWT_REFRESH_SECRET: REFRESH_SECRET });

    expect(problems).toEqual([expect.stringMatching(/^JWT_SECRET .*32 bytes.*31/)]);
  });

  it('accepts secrets of 32 bytes and uses their UTF-8 bytes as the HMAC key', () => {
    const config = loadConfig({ JWT_SECRET: 'x'.repeat(32), JWT_REFRESH_SECRET: 'y'.repeat(32) });

    expect(config.jwt.keys?.access.algorithm).toBe('HS256');
    expect(config.jwt.keys?.access.signingKey.export()).toEqual(Buffer.from('x'.repeat(32), 'utf8'));
    expect(config.jwt.keys?.refresh.signingKey.export()).toEqual(Buffer.from('y'.repeat(32), 'utf8'));
  });

  it('counts bytes, not characters: 16 two-byte characters are enough and 15 plus one ASCII are not', () => {
    const sixteen = 'é'.repeat(16);
    expect(Buffer.byteLength(sixteen, 'utf8')).toBe(32);
    expect(loadConfig({ JWT_SECRET: sixteen, JWT_REFRESH_SECRET: REFRESH_SECRET }).jwt.keys).toBeDefined();

    const thirtyOne = `${'é'.repeat(15)}a`;
    expect(configProblems({ JWT_SECRET: REFRESH_SECRET.replace('!', '?'), JWT_REFRESH_SECRET: thirtyOne })).toEqual([
      expect.stringMatching(/^JWT_REFRESH_SECRET .*31/),
    ]);
  });

  it('gives each key a kid derived from it, different for access and refresh', () => {
    const keys = loadConfig({ JWT_SECRET: SECRET, JWT_REFRESH_SECRET: REFRESH_SECRET }).jwt.keys!;

    expect(keys.access.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(keys.refresh.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(keys.access.kid).not.toBe(keys.refresh.kid);
    expect(keys.access.kid).not.toContain(SECRET);
  });

  it('refuses JWT_REFRESH_SECRET equal to JWT_SECRET', () => {
    expect(configProblems({ JWT_SECRET: SECRET, JWT_REFRESH_SECRET: SECRET })).toEqual([expect.stringMatching(/^JWT_REFRESH_SECRET must differ/)]);
  });

  it('refuses only one of the two secrets being set, either way round', () => {
    expect(configProblems({ JWT_SECRET: SECRET })).toEqual([expect.stringMatching(/JWT_SECRET and JWT_REFRESH_SECRET/)]);
    expect(configProblems({ JWT_REFRESH_SECRET: REFRESH_SECRET })).toEqual([expect.stringMatching(/JWT_SECRET and JWT_REFRESH_SECRET/)]);
  });
});

describe('RS256 and ES256 keys', () => {
  const pem = (key: KeyObject) => key.export({ format: 'pem', type: 'pkcs8' }).toString();
  const rsa = () => generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pairs = { RS256: [rsa(), rsa()], ES256: [ec(), ec()] } as const;
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'portcullis-config-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  function writeKey(name: string, text: string): string {
    const file = path.join(dir, name);
    writeFileSync(file, text, { mode: 0o600 });
    return file;
  }

  const forms: Record<string, (algorithm: 'RS256' | 'ES256', privatePem: string, which: 'access' | 'refresh') => Env> = {
    'inline PEM': (_algorithm, privatePem, which) => ({ [variable(which)]: privatePem }),
    'inline PEM with literal \\n escapes': (_algorithm, privatePem, which) => ({ [variable(which)]: privatePem.trim().replace(/\n/g, '\\n') }),
    'base64 of the PEM': (_algorithm, privatePem, which) => ({ [variable(which)]: Buffer.from(privatePem).toString('base64') }),
    '*_FILE path': (algorithm, privatePem, which) => ({ [`${variable(which)}_FILE`]: writeKey(`${algorithm}-${which}.pem`, privatePem) }),
  };
  const variable = (which: 'access' | 'refresh') => (which === 'access' ? 'JWT_PRIVATE_KEY' : 'JWT_REFRESH_PRIVATE_KEY');

  describe.each(['RS256', 'ES256'] as const)('%s', (algorithm) => {
    it.each(Object.keys(forms))('loads both keys given as %s, with the algorithm and a thumbprint kid', (form) => {
      const [access, refresh] = pairs[algorithm];
      const build = forms[form]!;
      const config = loadConfig({
        JWT_ALGORITHM: algorithm,
        ...build(algorithm, pem(access.privateKey), 'access'),
        ...build(algorithm, pem(refresh.privateKey), 'refresh'),
      });

      const keys = config.jwt.keys!;
      expect(keys.access.algorithm).toBe(algorithm);
      expect(keys.refresh.algorithm).toBe(algorithm);
      expect(keys.access.kid).toBe(thumbprint(access.publicKey));
      expect(keys.refresh.kid).toBe(thumbprint(refresh.publicKey));
      expect(keys.access.kid).not.toBe(keys.refresh.kid);
      expect(keys.access.verificationKey.asymmetricKeyType).toBe(algorithm === 'RS256' ? 'rsa' : 'ec');
    });

    it('accepts a matching public key and refuses one that belongs to another private key', () => {
      const [access, refresh] = pairs[algorithm];
      const publicPem = (key: KeyObject) => key.export({ format: 'pem', type: 'spki' }).toString();
      const base = { JWT_ALGORITHM: algorithm, JWT_PRIVATE_KEY: pem(access.privateKey), JWT_REFRESH_PRIVATE_KEY: pem(refresh.privateKey) };

      expect(loadConfig({ ...base, JWT_PUBLIC_KEY: publicPem(access.publicKey) }).jwt.keys?.access.kid).toBe(thumbprint(access.publicKey));
      expect(configProblems({ ...base, JWT_PUBLIC_KEY: publicPem(refresh.publicKey) })).toEqual([
        expect.stringMatching(/^JWT_PRIVATE_KEY .*public key does not belong/),
      ]);
    });

    it('refuses the same key for access and refresh tokens', () => {
      const key = pem(pairs[algorithm][0].privateKey);

      expect(configProblems({ JWT_ALGORITHM: algorithm, JWT_PRIVATE_KEY: key, JWT_REFRESH_PRIVATE_KEY: key })).toEqual([
        expect.stringMatching(/^JWT_REFRESH_PRIVATE_KEY must differ/),
      ]);
    });
  });

  it('refuses a key set both inline and as a file, naming both variables', () => {
    const [access, refresh] = pairs.ES256;
    const problems = configProblems({
      JWT_ALGORITHM: 'ES256',
      JWT_PRIVATE_KEY: pem(access.privateKey),
      JWT_PRIVATE_KEY_FILE: writeKey('both.pem', pem(access.privateKey)),
      JWT_REFRESH_PRIVATE_KEY: pem(refresh.privateKey),
    });

    expect(problems).toContainEqual(expect.stringMatching(/^JWT_PRIVATE_KEY and JWT_PRIVATE_KEY_FILE are both set/));
  });

  it('refuses an unreadable *_FILE, naming the variable and the path', () => {
    const missing = path.join(dir, 'no-such-key.pem');
    const problems = configProblems({
      JWT_ALGORITHM: 'ES256',
      JWT_PRIVATE_KEY: pem(pairs.ES256[0].privateKey),
      JWT_REFRESH_PRIVATE_KEY_FILE: missing,
    });

    expect(problems).toContainEqual(expect.stringMatching(/^JWT_REFRESH_PRIVATE_KEY_FILE cannot be read: ENOENT/));
    expect(problems.join('\n')).toContain(missing);
  });

  it('refuses a value that is neither PEM nor base64 of a PEM', () => {
    const problems = configProblems({ JWT_ALGORITHM: 'ES256', JWT_PRIVATE_KEY: 'not a key', JWT_REFRESH_PRIVATE_KEY: pem(pairs.ES256[1].privateKey) });

    expect(problems).toContainEqual(expect.stringMatching(/^JWT_PRIVATE_KEY must be a PEM key/));
  });

  it('refuses an RSA key for ES256', () => {
    const problems = configProblems({
      JWT_ALGORITHM: 'ES256',
      JWT_PRIVATE_KEY: pem(pairs.RS256[0].privateKey),
      JWT_REFRESH_PRIVATE_KEY: pem(pairs.ES256[1].privateKey),
    });

    expect(problems).toEqual([expect.stringMatching(/^JWT_PRIVATE_KEY .*ES256 needs an EC private key/)]);
  });

  it('refuses an EC key for RS256', () => {
    const problems = configProblems({
      JWT_ALGORITHM: 'RS256',
      JWT_PRIVATE_KEY: pem(pairs.RS256[0].privateKey),
      JWT_REFRESH_PRIVATE_KEY: pem(pairs.ES256[1].privateKey),
    });

    expect(problems).toEqual([expect.stringMatching(/^JWT_REFRESH_PRIVATE_KEY .*RS256 needs an RSA private key/)]);
  });

  it('accepts ES256 keys as the production signing keys', () => {
    const { JWT_SECRET: _secret, JWT_REFRESH_SECRET: _refresh, ...stores } = PRODUCTION;
    const config = loadConfig({
      ...stores,
      JWT_ALGORITHM: 'ES256',
      JWT_PRIVATE_KEY: pem(pairs.ES256[0].privateKey),
      JWT_REFRESH_PRIVATE_KEY: pem(pairs.ES256[1].privateKey),
    });

    expect(config.jwt.algorithm).toBe('ES256');
    expect(config.jwt.keys).toBeDefined();
  });
});

describe('production', () => {
  it('refuses every embedded default at once, one line each', () => {
    const problems = configProblems({ NODE_ENV: 'production' });

    expect(problems).toHaveLength(5);
    expect(problems).toEqual([
      expect.stringMatching(/^DATABASE_URL is required in production/),
      expect.stringMatching(/^REDIS_URL is required in production/),
      expect.stringMatching(/signing keys are required in production: set JWT_SECRET and JWT_REFRESH_SECRET/),
      expect.stringMatching(/^DATA_ENCRYPTION_KEY is required in production/),
      expect.stringMatching(/^SMTP_URL is required in production/),
    ]);
  });

  it('names the key variables of the chosen algorithm when keys are missing', () => {
    const { JWT_SECRET: _secret, JWT_REFRESH_SECRET: _refresh, ...stores } = PRODUCTION;

    expect(configProblems({ ...stores, JWT_ALGORITHM: 'RS256' })).toEqual([expect.stringMatching(/JWT_PRIVATE_KEY and JWT_REFRESH_PRIVATE_KEY/)]);
  });

  it('starts with a database, Redis and signing keys set', () => {
    const config = loadConfig(PRODUCTION);

    expect(config.env).toBe('production');
    expect(config.databaseUrl).toBe(PRODUCTION.DATABASE_URL);
    expect(config.redisUrl).toBe(PRODUCTION.REDIS_URL);
    expect(config.jwt.keys?.access.algorithm).toBe('HS256');
  });

  it('takes a Redis Cluster from REDIS_CLUSTER_NODES instead of REDIS_URL in production', () => {
    const { REDIS_URL: _single, ...rest } = PRODUCTION;
    const config = loadConfig({ ...rest, REDIS_CLUSTER_NODES: ' 10.0.0.5:6379, redis-2.internal:7000,[::1]:7001 ' });

    expect(config.redisUrl).toBeUndefined();
    expect(config.redisClusterNodes).toEqual([
      { host: '10.0.0.5', port: 6379 },
      { host: 'redis-2.internal', port: 7000 },
      { host: '::1', port: 7001 },
    ]);
  });

  it('refuses REDIS_CLUSTER_NODES that are not host:port, and both REDIS_URL and REDIS_CLUSTER_NODES at once', () => {
    expect(configProblems({ ...PRODUCTION, REDIS_URL: '', REDIS_CLUSTER_NODES: '10.0.0.5:6379,redis://10.0.0.6:6379' })).toEqual([
      expect.stringMatching(/^REDIS_CLUSTER_NODES "redis:\/\/10.0.0.6:6379" is not host:port \(like 10.0.0.5:6379,10.0.0.6:6379\)$/),
    ]);
    expect(configProblems({ ...PRODUCTION, REDIS_URL: '', REDIS_CLUSTER_NODES: 'cache:99999' })).toEqual([expect.stringMatching(/^REDIS_CLUSTER_NODES "cache:99999" is not host:port/)]);
    expect(configProblems({ ...PRODUCTION, REDIS_CLUSTER_NODES: '10.0.0.5:6379' })).toEqual([
      'REDIS_URL and REDIS_CLUSTER_NODES are both set: set REDIS_URL for one Redis node, or REDIS_CLUSTER_NODES for a Redis Cluster, not both',
    ]);
  });

  it('refuses store URLs with the wrong scheme', () => {
    const problems = configProblems({ ...PRODUCTION, DATABASE_URL: 'mysql://db/portcullis', REDIS_URL: 'http://cache' });

    expect(problems).toEqual([expect.stringMatching(/^DATABASE_URL must be a postgres:/), expect.stringMatching(/^REDIS_URL must be a redis:/)]);
  });
});

describe('cookie rules', () => {
  it('refuses COOKIE_SAMESITE=none with COOKIE_SECURE=false', () => {
    expect(configProblems({ COOKIE_SAMESITE: 'none', COOKIE_SECURE: 'false' })).toEqual([
      expect.stringMatching(/^COOKIE_SAMESITE=none requires COOKIE_SECURE=true/),
    ]);
  });

  it('accepts COOKIE_SAMESITE=none with secure cookies', () => {
    expect(loadConfig({ COOKIE_SAMESITE: 'None' }).cookies).toMatchObject({ sameSite: 'none', secure: true });
  });
});

describe('reporting', () => {
  it('reports every bad variable in one ConfigError, one line per problem', () => {
    let caught: unknown;
    try {
      loadConfig({
        NODE_ENV: 'production',
        PORT: 'eighty',
        ACCESS_TOKEN_TTL: 'abc',
        JWT_SECRET: 'too-short',
        JWT_REFRESH_SECRET: 'also-too-short',
        COOKIE_SAMESITE: 'none',
        COOKIE_SECURE: 'false',
        CORS_ORIGINS: 'https://ok.example.com,not an origin',
      });
    } catch (error) {
      caught = error;
    }

    expect(caught).toBeInstanceOf(ConfigError);
    const { problems, message } = caught as ConfigError;
    const named = (prefix: string) => problems.filter((problem) => problem.startsWith(prefix));
    expect(named('PORT ')).toHaveLength(1);
    expect(named('ACCESS_TOKEN_TTL ')).toHaveLength(1);
    expect(named('CORS_ORIGINS ')).toHaveLength(1);
    expect(named('JWT_SECRET ')).toHaveLength(1);
    expect(named('JWT_REFRESH_SECRET ')).toHaveLength(1);
    expect(named('DATABASE_URL ')).toHaveLength(1);
    expect(named('REDIS_URL ')).toHaveLength(1);
    expect(named('COOKIE_SAMESITE=none')).toHaveLength(1);
    expect(named('DATA_ENCRYPTION_KEY ')).toHaveLength(1);
    expect(named('SMTP_URL ')).toHaveLength(1);
    expect(problems).toHaveLength(10);
    for (const problem of problems) {
      expect(problem).not.toContain('\n');
      expect(message).toContain(problem);
    }
  });

  it('does not report problems with defaults that stand in for invalid values', () => {
    // ACCESS_TOKEN_TTL's default (15m) is longer than this REFRESH_TOKEN_TTL, but the real problem is the typo.
    expect(configProblems({ ACCESS_TOKEN_TTL: '5 min', REFRESH_TOKEN_TTL: '10m' })).toEqual([expect.stringMatching(/^ACCESS_TOKEN_TTL .*"5 min"/)]);
  });
});

describe('the returned config', () => {
  /** Assignment to a frozen object throws in strict code and is ignored in sloppy code: either way nothing changes. */
  function tryToSet(target: object, key: string, value: unknown): void {
    try {
      (target as Record<string, unknown>)[key] = value;
    } catch (error) {
      expect(error).toBeInstanceOf(TypeError);
    }
  }

  it('is frozen all the way down', () => {
    const config: Config = loadConfig({ CORS_ORIGINS: 'https://app.example.com' });

    tryToSet(config, 'port', 1);
    tryToSet(config.jwt, 'algorithm', 'none');
    tryToSet(config.cookies, 'secure', false);
    tryToSet(config.rateLimits.loginPerAccount, 'points', 1_000_000);
    tryToSet(config.jwt.accessTokenTtl, 'seconds', 1_000_000);
    expect(() => (config.http.corsOrigins as string[]).push('https://evil.example.com')).toThrow(TypeError);

    expect(config.port).toBe(4000);
    expect(config.jwt.algorithm).toBe('HS256');
    expect(config.cookies.secure).toBe(true);
    expect(config.rateLimits.loginPerAccount.points).toBe(5);
    expect(config.jwt.accessTokenTtl.seconds).toBe(900);
    expect(config.http.corsOrigins).toEqual(['https://app.example.com']);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.sessions)).toBe(true);
  });

  it('throws on assignment in strict-mode code', () => {
    const config = loadConfig({});

    expect(() => {
      'use strict';
      (config as { port: number }).port = 1;
    }).toThrow(TypeError);
  });
});

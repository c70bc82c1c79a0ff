// Configuration of the abuse limits (SPEC §8, §9): defaults, and a fix-it line for each bad value.
import { ConfigError, loadConfig } from '../../src/config/config';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('abuse-limit configuration', () => {
  it('defaults the refresh limit, the lock-out cap and the operation limits', () => {
    const { rateLimits, graphql } = loadConfig({});

    expect(rateLimits.refreshPerIp.points).toBe(600);
    expect(rateLimits.refreshPerIp.window.seconds).toBe(15 * 60);
    expect(rateLimits.loginMaxLockout.seconds).toBe(60 * 60);
    expect(graphql).toEqual({
      introspection: true,
      maxDepth: 8,
      maxAliases: 15,
      maxTokens: 2_000,
      maxCost: 5_000,
      maxDirectives: 50,
      maxEntities: 500,
    });
  });

  it('reads each variable as set', () => {
    const { rateLimits, graphql } = loadConfig({
      RATE_LIMIT_REFRESH_PER_IP: '30',
      RATE_LIMIT_REFRESH_PER_IP_WINDOW: '1m',
      LOGIN_MAX_LOCKOUT: '6h',
      GRAPHQL_MAX_DEPTH: '12',
      GRAPHQL_MAX_ALIASES: '4',
      GRAPHQL_MAX_TOKENS: '5000',
      GRAPHQL_MAX_COST: '900',
      GRAPHQL_MAX_DIRECTIVES: '10',
      GRAPHQL_MAX_ENTITIES: '100',
    });

    expect(rateLimits.refreshPerIp.points).toBe(30);
    expect(rateLimits.refreshPerIp.window.seconds).toBe(60);
    expect(rateLimits.loginMaxLockout.seconds).toBe(6 * 3_600);
    expect(graphql).toMatchObject({ maxDepth: 12, maxAliases: 4, maxTokens: 5_000, maxCost: 900, maxDirectives: 10, maxEntities: 100 });
  });

  it('refuses the lock-out cap under its old name RATE_LIMIT_LOGIN_MAX_LOCKOUT, naming the new one, rather than ignore it', () => {
    expect(problemsOf({ RATE_LIMIT_LOGIN_MAX_LOCKOUT: '6h' })).toEqual([
      'RATE_LIMIT_LOGIN_MAX_LOCKOUT was renamed LOGIN_MAX_LOCKOUT: set LOGIN_MAX_LOCKOUT instead',
    ]);
    expect(problemsOf({ RATE_LIMIT_LOGIN_MAX_LOCKOUT: '6h', LOGIN_MAX_LOCKOUT: '6h' })).toHaveLength(1);
    expect(loadConfig({ LOGIN_MAX_LOCKOUT: '6h' }).rateLimits.loginMaxLockout.seconds).toBe(6 * 3_600);
  });

  it.each([
    ['RATE_LIMIT_REFRESH_PER_IP', '0'],
    ['RATE_LIMIT_REFRESH_PER_IP_WINDOW', 'soon'],
    ['LOGIN_MAX_LOCKOUT', '-1h'],
    ['GRAPHQL_MAX_DEPTH', '0'],
    ['GRAPHQL_MAX_ALIASES', 'many'],
    ['GRAPHQL_MAX_TOKENS', '10'],
    ['GRAPHQL_MAX_COST', '1.5'],
    ['GRAPHQL_MAX_DIRECTIVES', '-3'],
    ['GRAPHQL_MAX_ENTITIES', ''.padEnd(7, '9')],
  ])('refuses %s=%s with one problem naming the variable and the value', (name, value) => {
    const problems = problemsOf({ [name]: value });

    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^${name} `));
    expect(problems[0]).toContain(`"${value}"`);
  });
});

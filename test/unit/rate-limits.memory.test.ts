// The in-process rate limits (embedded mode) on their own: the same policy as over Redis, and one
// log line per lock-out (never one per refused attempt), naming no email nor its plain digest.
import { createHash } from 'node:crypto';
import { createRateLimits } from '../../src/auth/rate-limit';
import { loadConfig } from '../../src/config/config';
import { RateLimitedError } from '../../src/errors';

const SECRETS = { JWT_SECRET: 'unit-test-access-secret-0123456789abcdef', JWT_REFRESH_SECRET: 'unit-test-refresh-secret-0123456789abcdef' };

function limitsWithLog() {
  const lines: Array<{ details: Record<string, unknown>; message: string }> = [];
  const logger = { warn: (details: Record<string, unknown>, message: string) => lines.push({ details, message }) };
  const config = loadConfig({ ...SECRETS, RATE_LIMIT_LOGIN_PER_ACCOUNT: '2', RATE_LIMIT_LOGIN_PER_ACCOUNT_WINDOW: '10m', LOGIN_MAX_LOCKOUT: '15m' });
  return { limits: createRateLimits(config.rateLimits, { kind: 'memory' }, config.jwt.keys!, logger as never), lines };
}

async function refusal(attempt: Promise<void>): Promise<RateLimitedError> {
  const error = await attempt.then(() => undefined, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(RateLimitedError);
  return error as RateLimitedError;
}

describe('in-process rate limits', () => {
  it('locks an account after its failures for the window, and logs the lock-out once without the email', async () => {
    const { limits, lines } = limitsWithLog();
    await limits.beginLogin('ada@example.com', '203.0.113.1');
    await limits.beginLogin('ada@example.com', '203.0.113.2');

    expect((await refusal(limits.beginLogin('ada@example.com', '203.0.113.3'))).retryAfterSeconds).toBe(600);
    expect((await refusal(limits.beginLogin('ada@example.com', '203.0.113.4'))).retryAfterSeconds).toBeGreaterThanOrEqual(599);

    expect(lines).toHaveLength(1);
    expect(lines[0]!.details).toMatchObject({ lockout: 1, seconds: 600 });
    expect(JSON.stringify(lines)).not.toContain('ada@example.com');
    const plain = createHash('sha256').update('ada@example.com').digest();
    for (const digest of [plain.toString('base64url'), plain.toString('hex')]) expect(JSON.stringify(lines)).not.toContain(digest);
  });

  it('lets a success clear the failures, and a registration clear those counted against an unknown email', async () => {
    const { limits } = limitsWithLog();
    await limits.beginLogin('bo@example.com', '203.0.113.1');
    await limits.beginLogin('bo@example.com', '203.0.113.1');
    await limits.loginSucceeded('bo@example.com', '203.0.113.1');
    await limits.beginLogin('bo@example.com', '203.0.113.1');
    await limits.beginLogin('bo@example.com', '203.0.113.1');
    await refusal(limits.beginLogin('bo@example.com', '203.0.113.1'));

    await limits.registered('bo@example.com');
    await limits.beginLogin('bo@example.com', '203.0.113.1');
  });
});

// One soak client: a user of its own signing in, then a mixed workload against both instances with
// every answer checked — the right user, revoked tokens refused, live tokens accepted, no 5xx.
import type { BenchUser } from './seed';
import { BENCH_PASSWORD } from './seed';

export interface Tally {
  requests: number;
  ok: number;
  failures: string[];
  byOperation: Record<string, number>;
}

interface Answer {
  status: number;
  body: { data?: Record<string, unknown> | null; errors?: Array<{ extensions?: { code?: string } }> };
}

const LOGIN = 'mutation Login($input: LoginInput!) { login(input: $input) { accessToken refreshToken user { id } } }';
const REFRESH = 'mutation Refresh($refreshToken: String) { refresh(refreshToken: $refreshToken) { accessToken refreshToken user { id } } }';
const ME = 'query Me { me { id email } }';
const SESSIONS = 'query Sessions { sessions { id current } }';
const LOGOUT = 'mutation Logout { logout }';

export class SoakClient {
  private accessToken = '';
  private refreshToken = '';
  private step = 0;

  constructor(
    private readonly user: BenchUser,
    private readonly urls: string[],
    private readonly tally: Tally,
    private readonly seed: number,
  ) {}

  async signIn(): Promise<void> {
    const answer = await this.call('login', LOGIN, { input: { email: this.user.email, password: BENCH_PASSWORD } });
    const login = answer.body.data?.login as { accessToken: string; refreshToken: string; user: { id: string } } | undefined;
    if (!this.check('login', answer, login?.user.id === this.user.id)) return;
    this.accessToken = login!.accessToken;
    this.refreshToken = login!.refreshToken;
  }

  async run(deadline: number): Promise<void> {
    while (Date.now() < deadline) {
      this.step += 1;
      const pick = (this.seed * 7919 + this.step * 104729) % 100;
      if (!this.accessToken) await this.signIn();
      else if (pick < 40) await this.meByHeader();
      else if (pick < 55) await this.meByCookie();
      else if (pick < 75) await this.refresh();
      else if (pick < 88) await this.sessions();
      else await this.logoutThenLogin();
      // Think time: 200-800 ms, so 200 clients are a steady few hundred requests a second, not a flood.
      await new Promise((resolve) => setTimeout(resolve, 200 + ((this.seed * 31 + this.step * 17) % 600)));
    }
  }

  private async meByHeader(): Promise<void> {
    const answer = await this.call('me (header)', ME, {}, { authorization: `Bearer ${this.accessToken}` });
    this.check('me (header)', answer, (answer.body.data?.me as { id?: string } | undefined)?.id === this.user.id);
  }

  private async meByCookie(): Promise<void> {
    const answer = await this.call('me (cookie)', ME, {}, { cookie: `access_token=${this.accessToken}` });
    this.check('me (cookie)', answer, (answer.body.data?.me as { id?: string } | undefined)?.id === this.user.id);
  }

  private async refresh(): Promise<void> {
    const answer = await this.call('refresh', REFRESH, { refreshToken: this.refreshToken });
    const refreshed = answer.body.data?.refresh as { accessToken: string; refreshToken: string; user: { id: string } } | undefined;
    if (!this.check('refresh', answer, refreshed?.user.id === this.user.id)) return;
    this.accessToken = refreshed!.accessToken;
    this.refreshToken = refreshed!.refreshToken;
  }

  private async sessions(): Promise<void> {
    const answer = await this.call('sessions', SESSIONS, {}, { authorization: `Bearer ${this.accessToken}` });
    const sessions = answer.body.data?.sessions as Array<{ id: string; current: boolean }> | undefined;
    this.check('sessions', answer, Array.isArray(sessions) && sessions.filter((session) => session.current).length === 1);
  }

  /** Logs out, checks that the ended session's tokens are refused on both instances, and signs in again. */
  private async logoutThenLogin(): Promise<void> {
    const ended = { access: this.accessToken, refresh: this.refreshToken };
    const answer = await this.call('logout', LOGOUT, {}, { authorization: `Bearer ${ended.access}` });
    if (!this.check('logout', answer, answer.body.data?.logout === true)) return;
    this.accessToken = '';
    for (let index = 0; index < this.urls.length; index += 1) {
      const me = await this.call('revoked me', ME, {}, { authorization: `Bearer ${ended.access}` }, index);
      this.check('revoked me', me, me.body.errors?.[0]?.extensions?.code === 'UNAUTHENTICATED', 'revoked access token accepted');
    }
    const refresh = await this.call('revoked refresh', REFRESH, { refreshToken: ended.refresh });
    this.check('revoked refresh', refresh, refresh.body.errors?.[0]?.extensions?.code === 'UNAUTHENTICATED', 'revoked refresh token accepted');
    await this.signIn();
  }

  private async call(operation: string, query: string, variables: Record<string, unknown>, headers: Record<string, string> = {}, instance?: number): Promise<Answer> {
    const url = this.urls[instance ?? (this.seed + this.step) % this.urls.length]!;
    this.tally.requests += 1;
    this.tally.byOperation[operation] = (this.tally.byOperation[operation] ?? 0) + 1;
    try {
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query, variables }) });
      return { status: response.status, body: (await response.json()) as Answer['body'] };
    } catch (error) {
      return { status: 0, body: { errors: [{ extensions: { code: `network: ${(error as Error).message}` } }] } };
    }
  }

  private check(operation: string, answer: Answer, right: boolean, wrong = 'wrong answer'): boolean {
    if (right) {
      this.tally.ok += 1;
      return true;
    }
    const code = answer.body.errors?.[0]?.extensions?.code ?? 'none';
    this.tally.failures.push(`${operation} for ${this.user.email}: ${wrong} (HTTP ${answer.status}, ${code})`);
    return false;
  }
}

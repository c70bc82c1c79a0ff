// createAuthClient: an ApolloClient wired with the auth link, and typed helpers for the operations
// every app needs (generated from schema.graphql by GraphQL Code Generator).
import { ApolloClient, CombinedGraphQLErrors, HttpLink, InMemoryCache, type ApolloCache } from '@apollo/client';
import { createAuthLink, type AuthMode } from './auth-link.js';
import { AuthSession, type SignedOutReason } from './auth-session.js';
import {
  ChangePasswordDocument,
  ConfirmEmailChangeDocument,
  LoginDocument,
  LogoutDocument,
  MeDocument,
  RegisterDocument,
  RequestEmailChangeDocument,
  RequestPasswordResetDocument,
  ResendVerificationEmailDocument,
  ResetPasswordDocument,
  RevokeSessionDocument,
  SessionsDocument,
  VerifyEmailDocument,
  VerifyMfaDocument,
  type LoginInput,
  type RegisterInput,
  type SessionsQuery,
  type ViewerFragment,
} from './generated/graphql.js';
import { refreshOverHttp } from './refresh-request.js';
import { browserTabCoordinator, singleTabCoordinator, type TabCoordinator } from './tab-coordinator.js';

export interface AuthClientOptions {
  /** The GraphQL endpoint, e.g. https://auth.example.com/graphql. */
  uri: string;
  /** `memory` (default): Bearer access token held in memory only. `cookie`: the httpOnly access cookie. */
  mode?: AuthMode;
  /** Called once each time a signed-in session ends (logout here or in another tab, or a refused refresh). */
  onSignedOut?: (reason: SignedOutReason) => void;
  /** Refresh ahead of expiry (default), or `false` to refresh only when an operation needs it. */
  refreshAhead?: ((lifetimeMs: number) => number) | false;
  /** Tabs sharing this name share one session (default "portcullis"). */
  name?: string;
  /** Cross-tab coordination; default: Web Locks + BroadcastChannel where the browser has them. */
  tabs?: TabCoordinator;
  cache?: ApolloCache;
  fetch?: typeof fetch;
}

export type Viewer = ViewerFragment;
export type SessionInfo = SessionsQuery['sessions'][number];
/** What login answers: signed in, or a second factor is needed (finish with verifyMfa(mfaToken, code)). */
export type LoginResult = { kind: 'signed-in'; user: Viewer } | { kind: 'mfa-required'; mfaToken: string; methods: string[] };

export function createAuthClient(options: AuthClientOptions) {
  const tabs = options.tabs ?? (typeof window === 'undefined' ? singleTabCoordinator() : browserTabCoordinator({ name: options.name ?? 'portcullis' }));
  const session = new AuthSession({
    refresh: refreshOverHttp(options.uri, options.fetch),
    tabs,
    onSignedOut: options.onSignedOut,
    refreshAhead: options.refreshAhead,
  });
  const http = new HttpLink({ uri: options.uri, credentials: 'include', fetch: options.fetch });
  const apollo = new ApolloClient({
    link: createAuthLink(session, options.mode ?? 'memory').concat(http),
    cache: options.cache ?? new InMemoryCache(),
    defaultOptions: { query: { fetchPolicy: 'network-only' } },
  });

  return {
    apollo,
    session,
    /** On page load: whether the refresh cookie still names a session (and, if so, a fresh access token). */
    restore: () => session.restore(),
    async register(input: RegisterInput): Promise<Viewer> {
      const { data } = await apollo.mutate({ mutation: RegisterDocument, variables: { input } });
      session.signIn(data!.register);
      return data!.register.user;
    },
    /** Signs in, or answers `mfa-required` (nothing signed in yet) when the account has a second factor. */
    async login(input: LoginInput): Promise<LoginResult> {
      try {
        const { data } = await apollo.mutate({ mutation: LoginDocument, variables: { input } });
        session.signIn(data!.login);
        return { kind: 'signed-in', user: data!.login.user };
      } catch (error) {
        const challenge = mfaChallenge(error);
        if (challenge) return challenge;
        throw error;
      }
    },
    /** Finishes a login that answered `mfa-required`, with a TOTP code or a recovery code; signs in like login. */
    async verifyMfa(mfaToken: string, code: string): Promise<Viewer> {
      const { data } = await apollo.mutate({ mutation: VerifyMfaDocument, variables: { mfaToken, code } });
      session.signIn(data!.verifyMfa);
      return data!.verifyMfa.user;
    },
    /** Ends this session (or every session of the user) and signs out the other tabs. */
    async logout(allSessions = false): Promise<void> {
      try {
        await apollo.mutate({ mutation: LogoutDocument, variables: { allSessions } });
      } finally {
        session.signOut('logout');
        await apollo.clearStore();
      }
    },
    async me(): Promise<Viewer> {
      const { data } = await apollo.query({ query: MeDocument });
      return data!.me;
    },
    async sessions(): Promise<SessionInfo[]> {
      const { data } = await apollo.query({ query: SessionsDocument });
      return data!.sessions;
    },
    async revokeSession(id: string): Promise<boolean> {
      const { data } = await apollo.mutate({ mutation: RevokeSessionDocument, variables: { id } });
      return data!.revokeSession;
    },
    async changePassword(currentPassword: string, newPassword: string): Promise<boolean> {
      const { data } = await apollo.mutate({ mutation: ChangePasswordDocument, variables: { currentPassword, newPassword } });
      return data!.changePassword;
    },
    /** The token from the verification mail's link (/verify-email?token=…). */
    async verifyEmail(token: string): Promise<Viewer> {
      const { data } = await apollo.mutate({ mutation: VerifyEmailDocument, variables: { token } });
      return data!.verifyEmail;
    },
    async resendVerificationEmail(): Promise<boolean> {
      const { data } = await apollo.mutate({ mutation: ResendVerificationEmailDocument });
      return data!.resendVerificationEmail;
    },
    /** Always true (whether or not the address has an account); the link goes by mail. */
    async requestPasswordReset(email: string): Promise<boolean> {
      const { data } = await apollo.mutate({ mutation: RequestPasswordResetDocument, variables: { email } });
      return data!.requestPasswordReset;
    },
    /** The token from the reset mail's link (/reset-password?token=…); every session of the user ends. */
    async resetPassword(token: string, newPassword: string): Promise<boolean> {
      const { data } = await apollo.mutate({ mutation: ResetPasswordDocument, variables: { token, newPassword } });
      return data!.resetPassword;
    },
    async requestEmailChange(currentPassword: string, newEmail: string): Promise<boolean> {
      const { data } = await apollo.mutate({ mutation: RequestEmailChangeDocument, variables: { currentPassword, newEmail } });
      return data!.requestEmailChange;
    },
    /** The token from the confirmation mail sent to the new address (/confirm-email?token=…). */
    async confirmEmailChange(token: string): Promise<Viewer> {
      const { data } = await apollo.mutate({ mutation: ConfirmEmailChangeDocument, variables: { token } });
      return data!.confirmEmailChange;
    },
    close(): void {
      session.close();
      tabs.close();
      apollo.stop();
    },
  };
}

export type AuthClient = ReturnType<typeof createAuthClient>;

/** The `extensions.code` of a GraphQL error (UNAUTHENTICATED, BAD_USER_INPUT, MFA_REQUIRED…), if it is one. */
export function errorCode(error: unknown): string | undefined {
  if (!CombinedGraphQLErrors.is(error)) return undefined;
  const code = error.errors[0]?.extensions?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The MFA_REQUIRED error of a login as a LoginResult, or undefined for any other error. */
export function mfaChallenge(error: unknown): Extract<LoginResult, { kind: 'mfa-required' }> | undefined {
  if (errorCode(error) !== 'MFA_REQUIRED') return undefined;
  const extensions = (error as CombinedGraphQLErrors).errors[0]!.extensions!;
  const { mfaToken, methods } = extensions;
  if (typeof mfaToken !== 'string') return undefined;
  return { kind: 'mfa-required', mfaToken, methods: Array.isArray(methods) ? methods.filter((method): method is string => typeof method === 'string') : [] };
}

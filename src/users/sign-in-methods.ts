// The ways a user can sign in, counted in one place: unlinking a provider (and, later, removing a
// passkey) is refused when it would leave none. Passkeys (issue 13) join the count here.

export interface SignInMethods {
  /** A password is set (users created by an OpenID provider have none until a reset). */
  hasPassword: boolean;
  /** Linked accounts at providers that are still configured (one at a removed provider cannot sign in). */
  usableLinkedAccounts: number;
}

export function countSignInMethods(methods: SignInMethods): number {
  return (methods.hasPassword ? 1 : 0) + methods.usableLinkedAccounts;
}

/** True when the user keeps at least one way to sign in. */
export function canStillSignIn(methods: SignInMethods): boolean {
  return countSignInMethods(methods) > 0;
}

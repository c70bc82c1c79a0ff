// The rule that a user always keeps a way to sign in (SPEC §11, §12): removing a passkey or unlinking a
// provider is refused when nothing would be left. Every remover counts what would remain, under a lock
// on the user's row, and asks here.

export interface SignInMethods {
  /** The account has a password (users created by an OpenID provider have none until a reset). */
  password: boolean;
  passkeys: number;
  /** Linked accounts at providers that are still configured (one at a removed provider cannot sign in). */
  linkedAccounts: number;
}

/** True when `remaining` leaves the user no way to sign in. */
export function leavesNoWayIn(remaining: SignInMethods): boolean {
  return !remaining.password && remaining.passkeys <= 0 && remaining.linkedAccounts <= 0;
}

export const LAST_SIGN_IN_METHOD_MESSAGE = 'This is your last way to sign in: add a password, another passkey or a linked account first';

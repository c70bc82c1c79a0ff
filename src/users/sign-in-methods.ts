// The rule that a user always keeps a way to sign in (SPEC §11, §12): removing a passkey (or, with issue
// 14, unlinking a provider) is refused when nothing would be left. Every remover counts what would remain.

export interface SignInMethods {
  /** The account has a password (users.password_hash set; issue 14 makes it nullable). */
  password: boolean;
  passkeys: number;
  /** Linked OpenID Connect accounts (issue 14): 0 until that branch counts them here. */
  linkedAccounts: number;
}

/** True when `remaining` leaves the user no way to sign in. */
export function leavesNoWayIn(remaining: SignInMethods): boolean {
  return !remaining.password && remaining.passkeys <= 0 && remaining.linkedAccounts <= 0;
}

export const LAST_SIGN_IN_METHOD_MESSAGE = 'This is your last way to sign in: add a password, another passkey or a linked account first';

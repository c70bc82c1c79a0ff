import { layout } from './layout';

/** Mirrors src/mfa/factor-notice.ts FactorChange: what changed in how the account signs in. */
export type SignInFactorChange = 'TOTP_ENABLED' | 'TOTP_DISABLED' | 'TOTP_RESET_BY_ADMIN' | 'RECOVERY_CODES_REGENERATED' | 'PASSKEY_ADDED' | 'PASSKEY_REMOVED';

export interface SignInFactorChangedParams { name: string; when: string; change: SignInFactorChange }

const WHAT: Record<SignInFactorChange, { subject: string; happened: string }> = {
  TOTP_ENABLED: { subject: 'Two-step sign-in was turned on', happened: 'Two-step sign-in with an authenticator app was turned on for your account. Your other sessions were signed out.' },
  TOTP_DISABLED: { subject: 'Two-step sign-in was turned off', happened: 'Two-step sign-in was turned off for your account: a password alone now signs in. Your other sessions were signed out.' },
  TOTP_RESET_BY_ADMIN: { subject: 'Two-step sign-in was reset', happened: 'An administrator removed the two-step sign-in of your account. Every session was signed out.' },
  RECOVERY_CODES_REGENERATED: { subject: 'New recovery codes were made', happened: 'New recovery codes were made for your account; the old ones no longer work.' },
  PASSKEY_ADDED: { subject: 'A passkey was added', happened: 'A passkey was added to your account: it can now sign in without a password.' },
  PASSKEY_REMOVED: { subject: 'A passkey was removed', happened: 'A passkey was removed from your account.' },
};

export const signInFactorChanged = (p: SignInFactorChangedParams) =>
  layout({
    subject: WHAT[p.change].subject,
    paragraphs: [`Hi ${p.name},`, `${WHAT[p.change].happened} (${p.when})`],
    footer: ["If this wasn't you, reset your password now with \"Forgot password\" and tell your administrator: someone else may have access to your account."],
  });

import { layout } from './layout';

export interface PasswordChangedParams { name: string; when: string; how: 'changed' | 'reset' }

export const passwordChanged = (p: PasswordChangedParams) =>
  layout({
    subject: 'Your password was changed',
    paragraphs: [
      `Hi ${p.name},`,
      p.how === 'reset'
        ? `The password of your account was reset with a link sent to this address (${p.when}). Every session was signed out.`
        : `The password of your account was changed (${p.when}). Your other sessions were signed out.`,
    ],
    footer: ["If this wasn't you, reset your password now with \"Forgot password\" and tell your administrator: someone else may have access to your account."],
  });

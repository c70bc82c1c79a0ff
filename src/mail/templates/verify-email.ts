import { layout } from './layout';

export interface VerifyEmailParams { name: string; link: string; expiresIn: string }

export const verifyEmail = (p: VerifyEmailParams) =>
  layout({
    subject: 'Confirm your email address',
    paragraphs: [`Hi ${p.name},`, 'Please confirm that this is your email address, so you can recover your account if you ever lose your password.'],
    action: { label: 'Confirm my email address', link: p.link },
    footer: [`This link works once and expires in ${p.expiresIn}.`, "If you didn't create an account, you can ignore this mail: nothing happens unless the link is opened."],
  });

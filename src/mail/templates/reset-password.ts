import { layout } from './layout';

export interface ResetPasswordParams { name: string; link: string; expiresIn: string }

export const resetPassword = (p: ResetPasswordParams) =>
  layout({
    subject: 'Reset your password',
    paragraphs: [`Hi ${p.name},`, 'Someone (hopefully you) asked to reset the password of your account. Choose a new one here:'],
    action: { label: 'Choose a new password', link: p.link },
    footer: [
      `This link works once and expires in ${p.expiresIn}. Setting a new password signs you out everywhere.`,
      "If this wasn't you, ignore this mail: your password stays as it is. If it keeps happening, tell your administrator.",
    ],
  });

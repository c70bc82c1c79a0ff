import { layout } from './layout';

export interface EmailChangeConfirmParams { name: string; link: string; expiresIn: string; newEmail: string }
export interface EmailChangeNoticeParams { name: string; newEmail: string; expiresIn: string }

/** To the new address: the link that makes the change. */
export const emailChangeConfirm = (p: EmailChangeConfirmParams) =>
  layout({
    subject: 'Confirm your new email address',
    paragraphs: [`Hi ${p.name},`, `Please confirm that ${p.newEmail} should become the email address of your account.`],
    action: { label: 'Confirm my new address', link: p.link },
    footer: [`This link works once and expires in ${p.expiresIn}.`, "If you didn't ask for this, ignore this mail: nothing changes unless the link is opened."],
  });

/** To the old address: the warning, with no link (whoever asked already holds the session). */
export const emailChangeNotice = (p: EmailChangeNoticeParams) =>
  layout({
    subject: 'Your email address is being changed',
    paragraphs: [
      `Hi ${p.name},`,
      `Someone signed in to your account asked to change its email address to ${p.newEmail}. The change happens if the link sent there is opened within ${p.expiresIn}.`,
    ],
    footer: ["If this wasn't you, change your password now (that cancels the change) and tell your administrator."],
  });

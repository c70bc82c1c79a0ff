// Every mail the service sends, in one place: template name → its parameters → subject, text and HTML.
import { emailChangeConfirm, emailChangeNotice, type EmailChangeConfirmParams, type EmailChangeNoticeParams } from './email-change';
import { passwordChanged, type PasswordChangedParams } from './password-changed';
import { resetPassword, type ResetPasswordParams } from './reset-password';
import { signInFactorChanged, type SignInFactorChangedParams } from './sign-in-factor-changed';
import { verifyEmail, type VerifyEmailParams } from './verify-email';

export interface MailParams {
  'verify-email': VerifyEmailParams;
  'reset-password': ResetPasswordParams;
  'password-changed': PasswordChangedParams;
  'email-change-confirm': EmailChangeConfirmParams;
  'email-change-notice': EmailChangeNoticeParams;
  'sign-in-factor-changed': SignInFactorChangedParams;
}

type Rendered = { subject: string; text: string; html: string; link: string | undefined };

export const templates: { [K in keyof MailParams]: (params: MailParams[K]) => Rendered } = {
  'verify-email': verifyEmail,
  'reset-password': resetPassword,
  'password-changed': passwordChanged,
  'email-change-confirm': emailChangeConfirm,
  'email-change-notice': emailChangeNotice,
  'sign-in-factor-changed': signInFactorChanged,
};

export { humanDuration } from './layout';

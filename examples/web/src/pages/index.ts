// Every page of the app, the ones the mail links point to included (/verify-email, /reset-password, /confirm-email).
import type { Page } from '../page';
import { changeEmailPage } from './change-email.page';
import { changePasswordPage } from './change-password.page';
import { confirmEmailPage } from './confirm-email.page';
import { forgotPasswordPage } from './forgot-password.page';
import { loginPage } from './login.page';
import { mePage } from './me.page';
import { registerPage } from './register.page';
import { resetPasswordPage } from './reset-password.page';
import { sessionsPage } from './sessions.page';
import { verifyEmailPage } from './verify-email.page';

export const pages: Page[] = [
  loginPage,
  registerPage,
  mePage,
  sessionsPage,
  changePasswordPage,
  changeEmailPage,
  forgotPasswordPage,
  resetPasswordPage,
  verifyEmailPage,
  confirmEmailPage,
];

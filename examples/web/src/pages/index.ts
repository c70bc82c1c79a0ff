// Every page of the app. The mail-link pages (/verify-email, /reset-password, /confirm-email) and the
// second-factor step join here once the API has their operations.
import type { Page } from '../page';
import { changePasswordPage } from './change-password.page';
import { loginPage } from './login.page';
import { mePage } from './me.page';
import { registerPage } from './register.page';
import { sessionsPage } from './sessions.page';

export const pages: Page[] = [loginPage, registerPage, mePage, sessionsPage, changePasswordPage];

import { form, h } from '../dom';
import type { Page } from '../page';

export const forgotPasswordPage: Page = {
  path: '/forgot-password',
  title: 'Forgot password',
  access: 'signed-out',
  nav: false,
  render: (context) =>
    h(
      'section',
      {},
      h('h1', {}, 'Forgot your password?'),
      h('p', {}, 'We mail a link to set a new one.'),
      form('forgot-password', [{ name: 'email', label: 'Email', type: 'email', autocomplete: 'username' }], 'Send the link', (values) =>
        context.run(async () => {
          await context.auth.requestPasswordReset(values.email!);
          // The same answer whether or not the address has an account.
          context.notice(`If ${values.email} has an account, a link to set a new password is on its way.`);
        }),
      ),
    ),
};

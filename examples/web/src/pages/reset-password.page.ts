// Where the reset mail's link lands: /reset-password?token=…
import { form, h } from '../dom';
import type { Page } from '../page';

export const resetPasswordPage: Page = {
  path: '/reset-password',
  title: 'Set a new password',
  access: 'any',
  nav: false,
  render: (context) => {
    const token = context.params.get('token') ?? '';
    context.params.delete('token'); // not carried on to the next page's URL
    return h(
      'section',
      {},
      h('h1', {}, 'Set a new password'),
      h('p', {}, 'Every session of yours is signed out; then sign in with the new password.'),
      form('reset-password', [{ name: 'newPassword', label: 'New password', type: 'password', autocomplete: 'new-password' }], 'Set password', (values) =>
        context.run(async () => {
          await context.auth.resetPassword(token, values.newPassword!);
          if (context.auth.session.status === 'signed-in') context.auth.session.signOut('logout');
          context.notice('Your password is changed. Sign in with the new one.');
          context.navigate('/login');
        }),
      ),
    );
  },
};

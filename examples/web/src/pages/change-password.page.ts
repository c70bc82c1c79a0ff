import { form, h } from '../dom';
import type { Page } from '../page';

export const changePasswordPage: Page = {
  path: '/change-password',
  title: 'Change password',
  access: 'signed-in',
  nav: true,
  render: (context) =>
    h(
      'section',
      {},
      h('h1', {}, 'Change password'),
      h('p', {}, 'This session stays signed in; every other session of yours is signed out.'),
      form(
        'change-password',
        [
          { name: 'currentPassword', label: 'Current password', type: 'password', autocomplete: 'current-password' },
          { name: 'newPassword', label: 'New password', type: 'password', autocomplete: 'new-password' },
        ],
        'Change password',
        (values) =>
          context.run(async () => {
            await context.auth.changePassword(values.currentPassword!, values.newPassword!);
            context.notice('Password changed. Your other sessions were signed out.');
            context.navigate('/me');
          }),
      ),
    ),
};

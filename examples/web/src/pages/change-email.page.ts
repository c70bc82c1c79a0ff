import { form, h } from '../dom';
import type { Page } from '../page';

export const changeEmailPage: Page = {
  path: '/change-email',
  title: 'Change email',
  access: 'signed-in',
  nav: true,
  render: (context) =>
    h(
      'section',
      {},
      h('h1', {}, 'Change email'),
      h('p', {}, 'We mail a link to the new address; the change happens when you open it.'),
      form(
        'change-email',
        [
          { name: 'newEmail', label: 'New email', type: 'email', autocomplete: 'email' },
          { name: 'currentPassword', label: 'Current password', type: 'password', autocomplete: 'current-password' },
        ],
        'Send the link',
        (values) =>
          context.run(async () => {
            await context.auth.requestEmailChange(values.currentPassword!, values.newEmail!);
            context.notice(`A confirmation link is on its way to ${values.newEmail}.`);
          }),
      ),
    ),
};

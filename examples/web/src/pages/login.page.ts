import { form, h } from '../dom';
import type { Page } from '../page';

export const loginPage: Page = {
  path: '/login',
  title: 'Sign in',
  access: 'signed-out',
  nav: true,
  render: (context) =>
    h(
      'section',
      {},
      h('h1', {}, 'Sign in'),
      form(
        'login',
        [
          { name: 'email', label: 'Email', type: 'email', autocomplete: 'username' },
          { name: 'password', label: 'Password', type: 'password', autocomplete: 'current-password' },
        ],
        'Sign in',
        (values) =>
          context.run(async () => {
            context.setViewer(await context.auth.login({ email: values.email!, password: values.password! }));
            context.navigate('/me');
          }),
      ),
    ),
};

import { form, h } from '../dom';
import type { Page } from '../page';

export const registerPage: Page = {
  path: '/register',
  title: 'Register',
  access: 'signed-out',
  nav: true,
  render: (context) =>
    h(
      'section',
      {},
      h('h1', {}, 'Create an account'),
      form(
        'register',
        [
          { name: 'name', label: 'Name', autocomplete: 'name' },
          { name: 'email', label: 'Email', type: 'email', autocomplete: 'username' },
          { name: 'password', label: 'Password (8 characters or more)', type: 'password', autocomplete: 'new-password' },
        ],
        'Register',
        (values) =>
          context.run(async () => {
            context.setViewer(await context.auth.register({ name: values.name!, email: values.email!, password: values.password! }));
            context.navigate('/me');
          }),
      ),
    ),
};

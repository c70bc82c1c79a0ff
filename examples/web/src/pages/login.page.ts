import { form, h } from '../dom';
import type { Viewer } from '@portcullis/client';
import type { Page } from '../page';

export const loginPage: Page = {
  path: '/login',
  title: 'Sign in',
  access: 'signed-out',
  nav: true,
  render: (context) => {
    const section = h('section', {}, h('h1', {}, 'Sign in'));
    const signedIn = (user: Viewer) => {
      context.setViewer(user);
      context.navigate('/me');
    };
    // The second step, when the account has a second factor: a code from the authenticator app (or a recovery code).
    const codeStep = (mfaToken: string) =>
      form('mfa', [{ name: 'code', label: 'Code from your authenticator app, or a recovery code', autocomplete: 'one-time-code' }], 'Verify', (values) =>
        context.run(async () => {
          signedIn(await context.auth.verifyMfa(mfaToken, values.code!.trim()));
        }),
      );
    section.append(
      form(
        'login',
        [
          { name: 'email', label: 'Email', type: 'email', autocomplete: 'username' },
          { name: 'password', label: 'Password', type: 'password', autocomplete: 'current-password' },
        ],
        'Sign in',
        (values) =>
          context.run(async () => {
            const result = await context.auth.login({ email: values.email!, password: values.password! });
            if (result.kind === 'mfa-required') return void section.replaceChildren(h('h1', {}, 'Two-step verification'), codeStep(result.mfaToken));
            signedIn(result.user);
          }),
      ),
      h('p', {}, h('a', { href: '/forgot-password', 'data-link': '' }, 'Forgot password?')),
    );
    return section;
  },
};

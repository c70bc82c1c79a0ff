// Where the verification mail's link lands: /verify-email?token=…
import { h } from '../dom';
import type { Page } from '../page';

export const verifyEmailPage: Page = {
  path: '/verify-email',
  title: 'Verify email',
  access: 'any',
  nav: false,
  async render(context) {
    const token = context.params.get('token');
    context.params.delete('token'); // not carried on to the next page's URL
    const section = h('section', {}, h('h1', {}, 'Verify your email address'));
    if (!token) {
      section.append(h('p', { id: 'verify-result' }, 'This link has no token. Open the link from the mail again.'));
      return section;
    }
    await context.run(async () => {
      const user = await context.auth.verifyEmail(token);
      section.append(h('p', { id: 'verify-result' }, `${user.email ?? 'Your address'} is verified.`));
      if (context.viewer) context.setViewer(user);
    });
    return section;
  },
};

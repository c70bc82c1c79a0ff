// Where the email-change confirmation link lands (mailed to the new address): /confirm-email?token=…
import { h } from '../dom';
import type { Page } from '../page';

export const confirmEmailPage: Page = {
  path: '/confirm-email',
  title: 'Confirm email',
  access: 'any',
  nav: false,
  async render(context) {
    const token = context.params.get('token');
    context.params.delete('token'); // not carried on to the next page's URL
    const section = h('section', {}, h('h1', {}, 'Confirm your new email address'));
    if (!token) {
      section.append(h('p', { id: 'confirm-result' }, 'This link has no token. Open the link from the mail again.'));
      return section;
    }
    await context.run(async () => {
      const user = await context.auth.confirmEmailChange(token);
      section.append(h('p', { id: 'confirm-result' }, `Your account email is now ${user.email ?? 'changed'}.`));
      if (context.viewer) context.setViewer(user);
    });
    return section;
  },
};

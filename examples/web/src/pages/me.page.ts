import { h } from '../dom';
import type { Page } from '../page';

export const mePage: Page = {
  path: '/me',
  title: 'Me',
  access: 'signed-in',
  nav: true,
  async render(context) {
    const details = h('dl', { id: 'me' });
    const show = async () => {
      const me = await context.auth.me();
      context.setViewer(me);
      details.replaceChildren(
        h('dt', {}, 'Name'), h('dd', { id: 'me-name' }, me.name),
        h('dt', {}, 'Email'), h('dd', { id: 'me-email' }, me.email ?? ''),
        h('dt', {}, 'Email verified'), h('dd', { id: 'me-verified' }, me.emailVerified ? 'Yes' : 'No', !me.emailVerified && resend),
        h('dt', {}, 'Role'), h('dd', {}, me.role),
        h('dt', {}, 'Member since'), h('dd', {}, new Date(me.createdAt).toLocaleDateString()),
        h('dt', {}, 'Loaded at'), h('dd', { id: 'me-loaded' }, new Date().toLocaleTimeString()),
      );
    };
    const resend = h('button', { id: 'resend-verification', type: 'button' }, 'Send the link again');
    resend.addEventListener('click', () => void context.run(async () => {
      await context.auth.resendVerificationEmail();
      context.notice('A new verification link is on its way.');
    }));
    const reload = h('button', { id: 'reload', type: 'button' }, 'Reload profile');
    reload.addEventListener('click', () => void context.run(show));
    await context.run(show);
    return h('section', {}, h('h1', {}, 'My account'), details, reload);
  },
};

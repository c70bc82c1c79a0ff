import { h } from '../dom';
import type { Page } from '../page';

export const sessionsPage: Page = {
  path: '/sessions',
  title: 'My sessions',
  access: 'signed-in',
  nav: true,
  async render(context) {
    const rows = h('tbody');
    const load = async () => {
      const sessions = await context.auth.sessions();
      rows.replaceChildren(
        ...sessions.map((session) => {
          const revoke = h('button', { type: 'button', 'data-session': session.id }, session.current ? 'Sign out' : 'Revoke');
          revoke.addEventListener('click', () =>
            void context.run(async () => {
              if (session.current) return context.auth.logout();
              await context.auth.revokeSession(session.id);
              await load();
            }),
          );
          return h(
            'tr',
            { class: 'session' },
            h('td', {}, session.userAgent.description, session.current ? ' (this one)' : ''),
            h('td', {}, session.ip),
            h('td', {}, new Date(session.lastUsedAt).toLocaleString()),
            h('td', {}, revoke),
          );
        }),
      );
    };
    const everywhere = h('button', { id: 'logout-everywhere', type: 'button' }, 'Sign out everywhere');
    everywhere.addEventListener('click', () => void context.run(() => context.auth.logout(true)));
    await context.run(load);
    return h(
      'section',
      {},
      h('h1', {}, 'My sessions'),
      h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'Device'), h('th', {}, 'IP'), h('th', {}, 'Last used'), h('th'))), rows),
      h('p', {}, everywhere),
    );
  },
};

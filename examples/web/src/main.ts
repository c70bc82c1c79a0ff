// The example app: one AuthClient for the whole page, a router over pages/, a header that shows
// who is signed in, and a notice when the session ends (here, in another tab, or on the server).
import { browserTabCoordinator, createAuthClient, errorCode, type SignedOutReason, type Viewer } from '@portcullis/client';
import { h } from './dom';
import type { PageContext } from './page';
import { pages } from './pages';

declare global {
  interface Window {
    PORTCULLIS_CONFIG: { apiUrl: string };
  }
}

const params = new URLSearchParams(location.search);
const SIGNED_OUT: Record<SignedOutReason, string> = {
  logout: 'You signed out.',
  'other-tab': 'You were signed out in another tab.',
  'refresh-rejected': 'Your session ended. Please sign in again.',
};

const auth = createAuthClient({
  uri: window.PORTCULLIS_CONFIG.apiUrl,
  // Memory mode (the default): the access token only in this page's memory. ?mode=cookie shows the other mode.
  mode: params.get('mode') === 'cookie' ? 'cookie' : 'memory',
  onSignedOut: (reason) => {
    viewer = undefined;
    notice(SIGNED_OUT[reason]);
    navigate('/login');
  },
  // Knobs for the browser tests only: refresh on demand instead of ahead, and (to reproduce the
  // race the lock prevents) no cross-tab lock. Never turn the lock off in an app.
  refreshAhead: params.get('refreshAhead') === 'off' ? false : undefined,
  tabs: params.get('lock') === 'off' ? browserTabCoordinator({ name: 'portcullis', lock: false }) : undefined,
});

let viewer: Viewer | undefined;
const $ = (id: string) => document.getElementById(id)!;

function notice(message: string): void {
  $('notice').textContent = message;
  $('notice').hidden = false;
}

function showError(error: unknown): void {
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  $('error').textContent = code ? `${message} (${code})` : message;
  $('error').hidden = false;
}

function header(): void {
  const signedIn = auth.session.status === 'signed-in';
  $('nav').replaceChildren(
    ...pages
      .filter((page) => page.nav && page.access !== (signedIn ? 'signed-out' : 'signed-in'))
      .map((page) => h('a', { href: page.path, 'data-link': '' }, page.title)),
  );
  const logout = h('button', { id: 'logout', type: 'button' }, 'Sign out');
  logout.addEventListener('click', () => void context.run(() => auth.logout()));
  $('status').replaceChildren(signedIn ? h('span', {}, 'Signed in', viewer ? ` as ${viewer.name} ` : ' ', logout) : 'Signed out');
}

const context: PageContext = {
  auth,
  get viewer() {
    return viewer;
  },
  setViewer(next) {
    viewer = next;
    header();
  },
  navigate: (path) => navigate(path),
  notice,
  params,
  async run(action) {
    $('error').hidden = true;
    try {
      await action();
    } catch (error) {
      showError(error);
    }
  },
};

let rendering = 0;
async function render(): Promise<void> {
  const ticket = ++rendering;
  const signedIn = auth.session.status === 'signed-in';
  const page = pages.find((candidate) => candidate.path === location.pathname);
  if (!page || (page.access === 'signed-in' && !signedIn)) return navigate(signedIn ? '/me' : '/login');
  if (page.access === 'signed-out' && signedIn) return navigate('/me');
  document.title = `${page.title} · Portcullis example`;
  header();
  const element = await page.render(context);
  if (ticket === rendering) $('page').replaceChildren(element);
}

function navigate(path: string): void {
  const search = params.toString();
  if (location.pathname !== path) history.pushState(null, '', search ? `${path}?${search}` : path);
  void render();
}

document.addEventListener('click', (event) => {
  const link = (event.target as Element).closest('a[data-link]');
  if (!link) return;
  event.preventDefault();
  $('notice').hidden = true;
  navigate(link.getAttribute('href')!);
});
window.addEventListener('popstate', () => void render());
auth.session.onStatusChange(() => header());

await auth.restore();
void render();

// What a page is: a path, who may see it, and how it renders. Adding a page is one file in pages/
// plus one line in pages/index.ts.
import type { AuthClient, Viewer } from '@portcullis/client';

export interface PageContext {
  auth: AuthClient;
  viewer: Viewer | undefined;
  setViewer(viewer: Viewer | undefined): void;
  navigate(path: string): void;
  /** Runs an action, showing its error (with the GraphQL error code) instead of throwing. */
  run(action: () => Promise<void>): Promise<void>;
  notice(message: string): void;
  params: URLSearchParams;
}

export interface Page {
  path: string;
  title: string;
  /** signed-in pages send signed-out visitors to /login, and signed-out pages send the others to /me. */
  access: 'signed-in' | 'signed-out' | 'any';
  /** Shown in the navigation bar when true. */
  nav: boolean;
  render(context: PageContext): HTMLElement | Promise<HTMLElement>;
}

// Serves the example app: the page, its stylesheet, its script bundled by esbuild on start (from
// TypeScript, with @portcullis/client taken from client/src), and /config.js naming the API.
// Every other GET path answers the page, so /login, /me and the mail links work on reload.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { build } from 'esbuild';

export interface AppServerOptions {
  /** The GraphQL endpoint the page talks to, e.g. http://localhost:4000/graphql (a function: read per request). */
  apiUrl: string | (() => string);
  port: number;
  host?: string;
}

export interface AppServer {
  /** e.g. http://localhost:3000 */
  url: string;
  close(): Promise<void>;
}

/** The folder that holds examples/web, whether this runs from source (tests) or from dist/. */
function repoRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'examples/web/index.html'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('examples/web not found above ' + __dirname);
    dir = parent;
  }
  return dir;
}

export async function bundleApp(root = repoRoot()): Promise<string> {
  const result = await build({
    absWorkingDir: root,
    entryPoints: ['examples/web/src/main.ts'],
    bundle: true,
    write: false,
    format: 'esm',
    target: 'es2022',
    sourcemap: 'inline',
    alias: { '@portcullis/client': './client/src/index.ts' },
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}

export async function startAppServer(options: AppServerOptions): Promise<AppServer> {
  const root = repoRoot();
  const script = await bundleApp(root);
  const html = fs.readFileSync(path.join(root, 'examples/web/index.html'));
  const css = fs.readFileSync(path.join(root, 'examples/web/app.css'));
  const apiUrl = typeof options.apiUrl === 'function' ? options.apiUrl : () => options.apiUrl as string;
  const headers = () => ({
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    // Scripts only from here; requests only to here and the API.
    'content-security-policy': `default-src 'self'; connect-src 'self' ${new URL(apiUrl()).origin}; frame-ancestors 'none'`,
  });
  const files: Record<string, () => [string, string | Buffer]> = {
    '/app.js': () => ['text/javascript; charset=utf-8', script],
    '/app.css': () => ['text/css; charset=utf-8', css],
    '/config.js': () => ['text/javascript; charset=utf-8', `window.PORTCULLIS_CONFIG = ${JSON.stringify({ apiUrl: apiUrl() })};\n`],
  };

  const server = http.createServer((request, response) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { ...headers(), allow: 'GET, HEAD' }).end();
      return;
    }
    const pathname = new URL(request.url ?? '/', 'http://app').pathname;
    const [type, body] = files[pathname]?.() ?? ['text/html; charset=utf-8', html];
    response.writeHead(200, { ...headers(), 'content-type': type }).end(request.method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? 'localhost', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://localhost:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// npm run example: the API on :4000 (built, with the settings a browser app on plain-http localhost
// needs) and the example app on APP_URL (default http://localhost:3000). Ctrl-C stops both.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { startAppServer } from './app-server';

const appUrl = new URL(process.env.APP_URL ?? 'http://localhost:3000');
const apiPort = process.env.PORT ?? '4000';
const apiUrl = `http://localhost:${apiPort}/graphql`;

// The example's own settings; anything already in the environment wins.
const exampleEnv = {
  PORT: apiPort,
  APP_URL: appUrl.origin,
  // Plain http on localhost: browsers drop Secure cookies set over http (only localhost is exempt in some).
  COOKIE_SECURE: 'false',
  // The app (localhost:3000) and the API (localhost:4000) are two origins of one site.
  CORS_ORIGINS: appUrl.origin,
  // The app never needs the refresh token in a response body: it lives in the httpOnly cookie.
  REFRESH_TOKEN_IN_BODY: 'false',
};

const api = spawn(process.execPath, [path.join(__dirname, '../../../src/main.js')], {
  env: { ...exampleEnv, ...process.env },
  stdio: 'inherit',
});
api.on('exit', (code) => {
  console.error(`The API stopped (exit code ${code ?? 'none'}).`);
  process.exit(code ?? 1);
});

void startAppServer({ apiUrl, port: Number(appUrl.port || 80), host: appUrl.hostname }).then((app) => {
  console.log(`Example app: ${app.url} (API: ${apiUrl})`);
  const stop = () => {
    api.removeAllListeners('exit');
    api.kill('SIGTERM');
    void app.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
});

// C0, the coprocessor's ceiling: a bare node:http server in a child process of its own that parses
// the JSON body and answers it back. No routing, no checks: what Node itself does with the same body.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpuMessage } from './cpu';
import type { ServerCommand, ServerMessage } from './server';

const server = http.createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const body = JSON.stringify(JSON.parse(Buffer.concat(chunks).toString('utf8')));
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
  });
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.send?.({ type: 'ready', url: `http://127.0.0.1:${port}/coprocessor` } satisfies ServerMessage);
});
process.on('message', (command: ServerCommand) => {
  if (command.type === 'cpu') process.send?.(cpuMessage());
  if (command.type === 'stop') {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  }
});

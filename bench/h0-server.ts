// Variant H0, the ceiling H is compared with: a bare Express 5 + Apollo Server 5 app as Apollo's
// documentation sets one up (cors, express.json, expressMiddleware; Apollo's defaults, so CSRF
// prevention on), a one-field SDL schema, no auth, no limits, no logging. The same versions as the
// product, in a child process of bench/run.ts like the product's server, answering the same
// `{ __typename }` POST. Only in the benchmark.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import cors from 'cors';
import express from 'express';
import { cpuMessage } from './cpu';
import type { ServerCommand, ServerMessage } from './server';

const typeDefs = 'type Query { hello: String }';
const resolvers = { Query: { hello: () => 'world' } };

async function main(): Promise<void> {
  const app = express();
  const server = http.createServer(app);
  const apollo = new ApolloServer({ typeDefs, resolvers, plugins: [ApolloServerPluginDrainHttpServer({ httpServer: server })] });
  await apollo.start();
  app.use('/graphql', cors(), express.json(), expressMiddleware(apollo));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  process.on('message', (command: ServerCommand) => {
    if (command.type === 'cpu') process.send?.(cpuMessage());
    if (command.type === 'stop') void apollo.stop().then(() => process.exit(0));
  });
  process.send?.({ type: 'ready', url: `http://127.0.0.1:${port}/graphql` } satisfies ServerMessage);
}

main().catch((error: unknown) => {
  console.error('H0 server failed to start:', error);
  process.exit(1);
});

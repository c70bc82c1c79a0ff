// Composition proven: this subgraph and a second one that extends User, composed with
// @apollo/composition and served by @apollo/gateway in process, the client's Authorization header
// forwarded to the real HTTP server. Queries cross both subgraphs. Apollo Gateway refuses supergraphs
// that use @authenticated/@requiresScopes (Router-only features), so its subgraph runs with
// FEDERATION_AUTH_DIRECTIVES=false and enforces them itself.
import { ApolloGateway, LocalGraphQLDataSource, RemoteGraphQLDataSource } from '@apollo/gateway';
import { composeServices } from '@apollo/composition';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { graphqlClient, LOGOUT, registerUser, type GraphQLClient } from '../helpers/graphql';
import { claimsFor, decodeJwt, signWith } from '../helpers/tokens';
import { createTestServer, releaseTestResources, type TestServer } from '../helpers/test-server';

/** The second subgraph: reviews written by users, and each user's reviews. */
const REVIEWS_SDL = parse(/* GraphQL */ `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])

  type User @key(fields: "id") {
    id: ID!
    reviews: [Review!]!
  }

  type Review {
    id: ID!
    body: String!
    author: User!
  }

  type Query {
    latestReviews: [Review!]!
  }
`);

interface Review {
  id: string;
  body: string;
  authorId: string;
}
const reviews: Review[] = [];

const reviewsSchema = buildSubgraphSchema([
  {
    typeDefs: REVIEWS_SDL,
    resolvers: {
      Query: { latestReviews: () => reviews },
      Review: { author: (review: Review) => ({ __typename: 'User', id: review.authorId }) },
      User: {
        __resolveReference: (user: { id: string }) => ({ id: user.id }),
        reviews: (user: { id: string }) => reviews.filter((review) => review.authorId === user.id),
      },
    },
  },
]);

interface GatewayContext {
  authorization?: string;
}

let accounts: TestServer;
let routerAccounts: TestServer;
let gateway: ApolloServer<GatewayContext>;
let client: GraphQLClient;

async function compose(subgraph: TestServer): Promise<string> {
  const sdl = (await subgraph.gql('{ _service { sdl } }')).data!._service.sdl as string;
  const composition = composeServices([
    { name: 'accounts', url: subgraph.url, typeDefs: parse(sdl) },
    { name: 'reviews', url: 'in-process://reviews', typeDefs: REVIEWS_SDL },
  ]);
  if (composition.errors) throw new Error(composition.errors.map((error) => error.message).join('\n'));
  return composition.supergraphSdl;
}

function gatewayFor(supergraphSdl: string): ApolloGateway {
  return new ApolloGateway({
      supergraphSdl,
      buildService: ({ name, url }) =>
        name === 'reviews'
          ? new LocalGraphQLDataSource(reviewsSchema)
          : new RemoteGraphQLDataSource<GatewayContext>({
              url,
              willSendRequest({ request, context }) {
                if (context.authorization) request.http?.headers.set('authorization', context.authorization);
              },
            }),
  });
}

beforeAll(async () => {
  routerAccounts = await createTestServer();
  accounts = await createTestServer({ env: { FEDERATION_AUTH_DIRECTIVES: 'false' } });
  gateway = new ApolloServer<GatewayContext>({ gateway: gatewayFor(await compose(accounts)) });
  const { url } = await startStandaloneServer(gateway, {
    listen: { port: 0, host: '127.0.0.1' },
    context: async ({ req }) => ({ authorization: req.headers.authorization }),
  });
  client = graphqlClient(url);
});

afterAll(async () => {
  await gateway?.stop();
  await accounts?.close();
  await routerAccounts?.close();
  await releaseTestResources();
});

async function userWithReviews(...bodies: string[]) {
  const user = await registerUser(accounts);
  for (const body of bodies) reviews.push({ id: String(reviews.length + 1), body, authorId: user.user.id });
  return user;
}

describe('composition', () => {
  it('composes the default SDL into a supergraph that keeps the authorization directives for Apollo Router', async () => {
    const supergraphSdl = await compose(routerAccounts);

    expect(supergraphSdl).toContain('@link(url: "https://specs.apollo.dev/authenticated/v0.1", for: SECURITY)');
    expect(supergraphSdl).toContain('@link(url: "https://specs.apollo.dev/requiresScopes/v0.1", for: SECURITY)');
    expect(supergraphSdl).toMatch(/me: User! @join__field\(graph: ACCOUNTS\) @authenticated @requiresScopes\(scopes: \[\["profile:read"\]\]\)/);
    expect(supergraphSdl).toMatch(/type User\s[^{]*@join__type\(graph: ACCOUNTS, key: "id"\)[^{]*@join__type\(graph: REVIEWS, key: "id"\)/);
  });

  it('is refused by Apollo Gateway with the directives, which is why FEDERATION_AUTH_DIRECTIVES=false exists', async () => {
    const refusing = new ApolloServer<GatewayContext>({ gateway: gatewayFor(await compose(routerAccounts)) });
    await expect(refusing.start()).rejects.toThrow(/authenticated\/v0.1 is for: SECURITY but is unsupported/);
  });

  it('composes without them under FEDERATION_AUTH_DIRECTIVES=false', async () => {
    const supergraphSdl = await compose(accounts);

    expect(supergraphSdl).not.toMatch(/@authenticated|@requiresScopes/);
    expect(supergraphSdl).toContain('me: User!');
  });
});

it('answers me with the other subgraph\'s field, through the forwarded Authorization header', async () => {
  const alice = await userWithReviews('Lovely', 'Too loud');
  const response = await client.gql('{ me { id name email reviews { body } } }', {}, { token: alice.accessToken });

  expect(response.errors).toBeUndefined();
  expect(response.data).toEqual({
    me: { id: alice.user.id, name: alice.input.name, email: alice.input.email, reviews: [{ body: 'Lovely' }, { body: 'Too loud' }] },
  });
});

it('resolves the other subgraph\'s users through _entities, showing the viewer\'s own email only', async () => {
  const alice = await userWithReviews('Alice was here');
  const bob = await userWithReviews('Bob was here');
  const response = await client.gql('{ latestReviews { body author { id name email } } }', {}, { token: bob.accessToken });

  expect(response.errors).toBeUndefined();
  const byBody = Object.fromEntries((response.data!.latestReviews as Array<{ body: string; author: unknown }>).map((review) => [review.body, review.author]));
  expect(byBody['Alice was here']).toEqual({ id: alice.user.id, name: alice.input.name, email: null });
  expect(byBody['Bob was here']).toEqual({ id: bob.user.id, name: bob.input.name, email: bob.input.email });
});

it('refuses anonymous callers: me is UNAUTHENTICATED and no user\'s data crosses from _entities', async () => {
  const carol = await userWithReviews('Carol was here');

  const me = await client.gql('{ me { id reviews { body } } }');
  expect(me.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  expect(me.data).toBeNull();

  const entities = await client.gql('{ latestReviews { body author { name email } } }');
  expect(entities.errors?.map((error) => error.extensions?.code)).toContain('UNAUTHENTICATED');
  expect(entities.text).not.toContain(carol.input.name);
  expect(entities.text).not.toContain(carol.input.email);
});

it('still enforces the scope itself through the gateway: a token without profile:read gets FORBIDDEN', async () => {
  const erin = await userWithReviews('Erin was here');
  const { sub, sid } = decodeJwt(erin.accessToken).payload;
  const token = signWith(accounts.keys.access, claimsFor(accounts, { sub, sid, scope: 'reviews:write' }));

  const me = await client.gql('{ me { id reviews { body } } }', {}, { token });
  expect(me.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  expect(me.data).toBeNull();
});

it('refuses a token whose session was revoked through the gateway, across both subgraphs', async () => {
  const dave = await userWithReviews('Dave was here');
  const logout = await client.gql(LOGOUT, {}, { token: dave.accessToken });
  expect(logout.data).toEqual({ logout: true });

  const me = await client.gql('{ me { id reviews { body } } }', {}, { token: dave.accessToken });
  expect(me.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  expect(me.data).toBeNull();
  const entities = await client.gql('{ latestReviews { author { name } } }', {}, { token: dave.accessToken });
  expect(entities.errors?.map((error) => error.extensions?.code)).toContain('UNAUTHENTICATED');
  expect(entities.text).not.toContain(dave.input.name);
});

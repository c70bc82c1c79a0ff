import 'reflect-metadata';
// The GraphQL schema: type-graphql classes → SDL with directives → Apollo Federation 2 subgraph.
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { parse, visit, type GraphQLSchema } from 'graphql';
import { DateTimeResolver } from 'graphql-scalars';
import { buildSchema, createResolversMap, type ContainerType } from 'type-graphql';
import { authChecker } from './auth/auth-checker';
import { AuthResolver } from './auth/auth.resolver';
import type { AuthService } from './auth/auth.service';
import type { Context } from './context';
import { UnauthenticatedError } from './errors';
import { UserResolver } from './users/user.resolver';
import type { UserRecord } from './users/user';

/** Router-only: Apollo Gateway refuses a supergraph that uses them (FEDERATION_AUTH_DIRECTIVES=false). */
const AUTH_DIRECTIVES = ['authenticated', 'requiresScopes'];

const federationLink = (imports: string[]) =>
  `extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ${JSON.stringify(imports.map((name) => `@${name}`))})`;

export interface SchemaDeps {
  auth: AuthService;
  refreshTokenInBody: boolean;
  /** Publish @authenticated / @requiresScopes in the SDL (default true). The checks run either way. */
  authDirectives?: boolean;
}

export async function buildAppSchema(deps: SchemaDeps): Promise<GraphQLSchema> {
  const schema = await buildTypeGraphQLSchema(deps);
  const resolvers = createResolversMap(schema);
  const withAuthDirectives = deps.authDirectives ?? true;
  let typeDefs = parse(`${federationLink(['key', ...(withAuthDirectives ? AUTH_DIRECTIVES : [])])}\n${printSchemaWithDirectives(schema)}`);
  if (!withAuthDirectives) typeDefs = visit(typeDefs, { Directive: (node) => (AUTH_DIRECTIVES.includes(node.name.value) ? null : undefined) });
  return buildSubgraphSchema({
    typeDefs,
    resolvers: {
      ...resolvers,
      User: {
        ...resolvers.User,
        // _entities: other subgraphs resolve users only on behalf of an authenticated caller.
        __resolveReference: (reference: { id: string }, ctx: Context): Promise<UserRecord | null> => {
          if (!ctx.viewer) throw new UnauthenticatedError();
          return deps.auth.findUser(reference.id);
        },
      },
    } as GraphQLResolverMap<unknown>,
  });
}

/** The schema as type-graphql builds it, before federation; also what scripts/print-schema.ts prints. */
export function buildTypeGraphQLSchema(deps: SchemaDeps): Promise<GraphQLSchema> {
  const instances = new Map<unknown, unknown>([
    [AuthResolver, new AuthResolver(deps.auth, deps.refreshTokenInBody)],
    [UserResolver, new UserResolver(deps.auth)],
  ]);
  const container: ContainerType = { get: (resolverClass) => instances.get(resolverClass) };
  return buildSchema({
    resolvers: [AuthResolver, UserResolver],
    container,
    authChecker,
    scalarsMap: [{ type: Date, scalar: DateTimeResolver }],
    validate: false,
    // Federation directives are only defined once buildSubgraphSchema adds the @link.
    skipCheck: true,
  });
}

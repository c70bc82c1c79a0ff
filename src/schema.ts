import 'reflect-metadata';
// The GraphQL schema: type-graphql classes → SDL with directives → Apollo Federation 2 subgraph.
import { buildSubgraphSchema, type GraphQLResolverMap } from '@apollo/subgraph';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { parse, visit, type GraphQLSchema } from 'graphql';
import { DateTimeResolver } from 'graphql-scalars';
import { buildSchema, createResolversMap, type ContainerType } from 'type-graphql';
import { AdminResolver } from './admin/admin.resolver';
import type { AdminService } from './admin/admin.service';
import { AuditResolver } from './audit/audit.resolver';
import type { AuditService } from './audit/audit.service';
import { ClientResolver } from './clients/client.resolver';
import type { ClientAdminService } from './clients/client-admin.service';
import type { ClientCredentialsService } from './clients/client-credentials.service';
import { AuthResolver } from './auth/auth.resolver';
import type { AuthService } from './auth/auth.service';
import { PasswordChangeResolver } from './auth/password-change.resolver';
import type { PasswordChangeService } from './auth/password-change.service';
import type { Context } from './context';
import { UnauthenticatedError } from './errors';
import type { MfaLoginService } from './mfa/mfa-login.service';
import { MfaResolver } from './mfa/mfa.resolver';
import type { TotpEnrollmentService } from './mfa/totp-enrollment.service';
import { PasskeyResolver } from './passkeys/passkey.resolver';
import type { PasskeyService } from './passkeys/passkey.service';
import { OidcResolver } from './oidc/oidc.resolver';
import type { OidcAccountService } from './oidc/oidc-accounts.service';
import type { OidcSignInService } from './oidc/oidc-sign-in.service';
import { RecoveryResolver, type RecoveryServices } from './recovery/recovery.resolver';
import { SessionResolver } from './sessions/session.resolver';
import type { SessionService } from './sessions/session.service';
import { UserResolver } from './users/user.resolver';
import type { UserRecord } from './users/user';

/** Router-only: Apollo Gateway refuses a supergraph that uses them (FEDERATION_AUTH_DIRECTIVES=false). */
const AUTH_DIRECTIVES = ['authenticated', 'requiresScopes'];

const federationLink = (imports: string[]) =>
  `extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ${JSON.stringify(imports.map((name) => `@${name}`))})`;

export interface SchemaDeps {
  auth: AuthService;
  sessions: SessionService;
  admin: AdminService;
  passwords: PasswordChangeService;
  audit: AuditService;
  clientAdmin: ClientAdminService;
  clientCredentials: ClientCredentialsService;
  oidc: { signIn: OidcSignInService; accounts: OidcAccountService };
  /** The second factor and passkeys (SPEC §11). */
  mfa: { enrollment: TotpEnrollmentService; login: MfaLoginService; passkeys: PasskeyService };
  recovery: RecoveryServices;
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
  return buildSubgraphSchema([
    {
      typeDefs,
      resolvers: {
        ...resolvers,
        User: {
          ...resolvers.User,
          // _entities: other subgraphs resolve users only on behalf of an authenticated caller.
          __resolveReference: (reference: { id: string }, ctx: Context): Promise<UserRecord | null> => {
            if (!ctx.viewer && !ctx.serviceClient) throw new UnauthenticatedError();
            return deps.auth.findUser(reference.id);
          },
        },
      } as GraphQLResolverMap<unknown>,
    },
  ]);
}

/** The schema as type-graphql builds it, before federation; also what scripts/print-schema.ts prints. */
export function buildTypeGraphQLSchema(deps: SchemaDeps): Promise<GraphQLSchema> {
  const instances = new Map<unknown, unknown>([
    [AuthResolver, new AuthResolver(deps.auth, deps.refreshTokenInBody)],
    [UserResolver, new UserResolver(deps.auth)],
    [SessionResolver, new SessionResolver(deps.sessions)],
    [AdminResolver, new AdminResolver(deps.admin)],
    [PasswordChangeResolver, new PasswordChangeResolver(deps.passwords)],
    [AuditResolver, new AuditResolver(deps.audit)],
    [ClientResolver, new ClientResolver(deps.clientAdmin, deps.clientCredentials)],
    [OidcResolver, new OidcResolver(deps.oidc, deps.refreshTokenInBody)],
    [RecoveryResolver, new RecoveryResolver(deps.recovery)],
    // `?.`: printing the schema's shape passes no services (scripts/print-schema.ts).
    [MfaResolver, new MfaResolver(deps.mfa?.enrollment, deps.mfa?.login, deps.refreshTokenInBody)],
    [PasskeyResolver, new PasskeyResolver(deps.mfa?.passkeys, deps.refreshTokenInBody)],
  ]);
  const container: ContainerType = { get: (resolverClass) => instances.get(resolverClass) };
  return buildSchema({
    resolvers: [
      AuthResolver,
      UserResolver,
      SessionResolver,
      AdminResolver,
      PasswordChangeResolver,
      AuditResolver,
      ClientResolver,
      OidcResolver,
      MfaResolver,
      PasskeyResolver,
      RecoveryResolver,
    ],
    container,
    scalarsMap: [{ type: Date, scalar: DateTimeResolver }],
    validate: false,
    // Federation directives are only defined once buildSubgraphSchema adds the @link.
    skipCheck: true,
  });
}

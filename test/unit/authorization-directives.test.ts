// The SDL's authorization directives predict the subgraph's own answer exactly, for every field.
// A router enforces @authenticated / @requiresScopes from the token alone (is there one, what is its
// `scope`); this walks every root field and every field with a resolver of the built schema, calls it
// as anonymous, as users of either role and as machine clients with many scope sets, and checks that
// it is refused (UNAUTHENTICATED / FORBIDDEN) exactly when a router reading the SDL would refuse it.
// A new operation guarded without its directives, or with directives and no guard, fails here.
// The services are stand-ins that throw "reached" when called: this checks the guard, not the effect
// (test/integration/attacks/edge-authorization.test.ts attacks the same rules over HTTP).
import 'reflect-metadata';
import {
  execute,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  Kind,
  parse,
  validate,
  valueFromASTUntyped,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLObjectType,
  type GraphQLResolveInfo,
  type GraphQLSchema,
} from 'graphql';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { CLIENT_SCOPES, DEFAULT_ROLE_SCOPES, parseRoleScopes, type RoleScopes } from '../../src/auth/scopes';
import type { Context } from '../../src/context';
import { buildAppSchema, type SchemaDeps } from '../../src/schema';

/** Rules a router cannot express, kept by the subgraph alone; each says why it carries no directive. */
const SUBGRAPH_ONLY: Record<string, string> = {
  // Federation's own field: its SDL is not ours to annotate. Each User reference needs a caller.
  'Query._entities': 'a user or a machine client, checked in User.__resolveReference',
  // In a login's AuthPayload the user signing in sees it without any token; others need ADMIN.
  'User.mfaEnabled': 'the user themself (or the user this request signed in) or an ADMIN',
};

interface Rule {
  authenticated: boolean;
  anyOf: string[][] | null;
}

interface Caller {
  name: string;
  context: Context;
  /** What a router sees: whether a verified token came, and its `scope`. */
  token: { scopes: string[] } | null;
}

type Outcome = 'UNAUTHENTICATED' | 'FORBIDDEN' | 'allowed';

class Reached extends Error {}

/** A service that answers every property with another and throws Reached when called. */
function standIn(path: string): unknown {
  return new Proxy(() => undefined, {
    get: (_target, key) => (key === 'then' ? undefined : standIn(`${path}.${String(key)}`)),
    apply: () => {
      throw new Reached(path);
    },
  });
}

function depsWith(authDirectives: boolean): SchemaDeps {
  const given: Record<string, unknown> = { refreshTokenInBody: false, authDirectives };
  return new Proxy(given, { get: (target, key: string) => (key in target ? target[key] : standIn(key)) }) as unknown as SchemaDeps;
}

const ROLE_SCOPES = (parseRoleScopes(DEFAULT_ROLE_SCOPES) as { scopes: RoleScopes }).scopes;

/** The directives a router reads on each field, from the SDL this service publishes. */
function rulesOf(schema: GraphQLSchema): Map<string, Rule> {
  const rules = new Map<string, Rule>();
  const document = parse(printSchemaWithDirectives(schema));
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION && definition.kind !== Kind.OBJECT_TYPE_EXTENSION) continue;
    for (const field of definition.fields ?? []) {
      const authenticated = field.directives?.some((directive) => directive.name.value === 'authenticated') ?? false;
      const requires = field.directives?.find((directive) => directive.name.value === 'requiresScopes');
      const argument = requires?.arguments?.find((each) => each.name.value === 'scopes');
      const anyOf = argument ? (valueFromASTUntyped(argument.value) as string[][]) : null;
      if (authenticated || anyOf) rules.set(`${definition.name.value}.${field.name.value}`, { authenticated, anyOf });
    }
  }
  return rules;
}

/** What a router does with the token alone. */
function predicted(rule: Rule | undefined, caller: Caller): Outcome {
  if (!rule) return 'allowed';
  if (!caller.token) return 'UNAUTHENTICATED';
  const granted = caller.token.scopes;
  if (rule.anyOf && !rule.anyOf.some((allOf) => allOf.every((scope) => granted.includes(scope)))) return 'FORBIDDEN';
  return 'allowed';
}

function contextFor(identity: Pick<Context, 'viewer' | 'serviceClient'>): Context {
  return { ...identity, client: { ip: '203.0.113.7', userAgent: 'contract test' }, refreshCookie: undefined, cookies: standIn('cookies') as Context['cookies'] };
}

/** Anonymous; users of each role with every scope set that matters; clients with every grantable set. */
function callersFor(rules: Map<string, Rule>): Caller[] {
  const named = [...rules.values()].flatMap((rule) => rule.anyOf ?? []);
  const universe = [...new Set([...named.flat(), ...CLIENT_SCOPES, ...Object.values(ROLE_SCOPES).flat(), 'orders:read'])];
  const userSets = [[], ...universe.map((scope) => [scope]), ...named, ...Object.values(ROLE_SCOPES).map((scopes) => [...scopes]), universe];
  const callers: Caller[] = [{ name: 'anonymous', context: contextFor({ viewer: null, serviceClient: null }), token: null }];
  for (const role of ['USER', 'ADMIN'] as const) {
    for (const scopes of userSets) {
      const viewer = { userId: 'viewer-1', sessionId: 'session-1', role, scopes };
      callers.push({ name: `${role} with [${scopes.join(' ')}]`, context: contextFor({ viewer, serviceClient: null }), token: { scopes } });
    }
  }
  // Every subset of what a client may be granted (nothing else can be: createServiceClient refuses it).
  for (let mask = 0; mask < 1 << CLIENT_SCOPES.length; mask++) {
    const scopes = CLIENT_SCOPES.filter((_, index) => mask & (1 << index));
    const serviceClient = { clientId: 'pc_client', scopes };
    callers.push({ name: `client with [${scopes.join(' ')}]`, context: contextFor({ viewer: null, serviceClient }), token: { scopes } });
  }
  return callers;
}

const outcomeOf = (error: unknown): Outcome => {
  const code = (error as { extensions?: { code?: unknown } } | undefined)?.extensions?.code;
  return code === 'UNAUTHENTICATED' || code === 'FORBIDDEN' ? code : 'allowed';
};

/** A literal of the type, for required and optional arguments alike. */
function literal(type: GraphQLInputType): string {
  if (isNonNullType(type)) return literal(type.ofType);
  if (isListType(type)) return `[${literal(type.ofType)}]`;
  if (isEnumType(type)) return type.getValues()[0]!.name;
  if (isInputObjectType(type)) return `{ ${Object.values(type.getFields()).map((field) => `${field.name}: ${literal(field.type)}`).join(', ')} }`;
  if (isScalarType(type)) {
    const scalars: Record<string, string> = { Int: '1', Float: '1.5', Boolean: 'true', DateTime: '"2026-01-01T00:00:00.000Z"', JSON: '{}', _Any: '{ __typename: "User", id: "user-2" }' };
    return scalars[type.name] ?? '"x"';
  }
  throw new Error(`no literal for ${String(type)}`);
}

function documentFor(operation: 'query' | 'mutation', field: GraphQLField<unknown, unknown>): string {
  const args = field.args.length > 0 ? `(${field.args.map((arg) => `${arg.name}: ${literal(arg.type)}`).join(', ')})` : '';
  const named = getNamedType(field.type);
  const selection = isScalarType(named) || isEnumType(named) ? '' : ' { __typename }';
  return `${operation} { ${field.name}${args}${selection} }`;
}

async function rootOutcome(schema: GraphQLSchema, operation: 'query' | 'mutation', field: GraphQLField<unknown, unknown>, context: Context): Promise<Outcome> {
  const document = parse(documentFor(operation, field));
  expect(validate(schema, document)).toEqual([]);
  const result = await execute({ schema, document, contextValue: context });
  return outcomeOf(result.errors?.[0]?.originalError ?? result.errors?.[0]);
}

async function fieldOutcome(type: GraphQLObjectType, field: GraphQLField<unknown, unknown>, context: Context): Promise<Outcome> {
  const root = { id: 'user-2', email: 'someone@example.com', emailVerifiedAt: null, name: 'Someone', role: 'USER' };
  const info = { fieldName: field.name, parentType: type, returnType: field.type, path: { prev: undefined, key: field.name, typename: type.name } } as unknown as GraphQLResolveInfo;
  try {
    await field.resolve!(root, {}, context, info);
    return 'allowed';
  } catch (error) {
    return outcomeOf(error);
  }
}

/** Every field a guard can sit on: root fields, and fields of other types that have their own resolver. */
function fieldsOf(schema: GraphQLSchema) {
  const fields: Array<{ coordinate: string; type: GraphQLObjectType; field: GraphQLField<unknown, unknown>; operation?: 'query' | 'mutation' }> = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    const operation = type === schema.getQueryType() ? 'query' : type === schema.getMutationType() ? 'mutation' : undefined;
    for (const field of Object.values(type.getFields())) {
      if (operation || field.resolve) fields.push({ coordinate: `${type.name}.${field.name}`, type, field, operation });
    }
  }
  return fields;
}

async function actualOutcome(schema: GraphQLSchema, entry: ReturnType<typeof fieldsOf>[number], context: Context): Promise<Outcome> {
  return entry.operation ? rootOutcome(schema, entry.operation, entry.field, context) : fieldOutcome(entry.type, entry.field, context);
}

let schema: GraphQLSchema;
let rules: Map<string, Rule>;
beforeAll(async () => {
  schema = await buildAppSchema(depsWith(true));
  rules = rulesOf(schema);
});

describe('authorization directives in the SDL', () => {
  it('predict exactly who the subgraph refuses, and with which code, on every field', async () => {
    const callers = callersFor(rules);
    const disagreements: string[] = [];
    const fields = fieldsOf(schema);
    for (const entry of fields) {
      if (SUBGRAPH_ONLY[entry.coordinate]) continue;
      for (const caller of callers) {
        const expected = predicted(rules.get(entry.coordinate), caller);
        const actual = await actualOutcome(schema, entry, caller.context);
        if (actual !== expected) disagreements.push(`${entry.coordinate} as ${caller.name}: the SDL says ${expected}, the subgraph answers ${actual}`);
      }
    }
    expect(disagreements).toEqual([]);
    expect(fields.length).toBeGreaterThan(40);
  });

  it('mark every operation that needs a caller: anonymous calls are refused only where a directive says so', async () => {
    const anonymous = callersFor(rules)[0]!;
    const refusedWithoutDirective: string[] = [];
    for (const entry of fieldsOf(schema)) {
      if (rules.has(entry.coordinate) || SUBGRAPH_ONLY[entry.coordinate]) continue;
      if ((await actualOutcome(schema, entry, anonymous.context)) !== 'allowed') refusedWithoutDirective.push(entry.coordinate);
    }
    expect(refusedWithoutDirective).toEqual([]);
    // The operations issue 15 named, and the ADMIN ones, carry them.
    for (const coordinate of ['Query.sessions', 'Mutation.changePassword', 'Mutation.revokeSession', 'Query.me', 'Query.users', 'Mutation.setUserRole']) {
      expect(rules.get(coordinate)).toMatchObject({ authenticated: true });
    }
    expect(rules.get('Query.users')!.anyOf).toEqual([['admin'], ['users:read']]);
    expect(rules.get('Mutation.setUserRole')!.anyOf).toEqual([['admin']]);
    expect(rules.get('Mutation.changePassword')!.anyOf).toEqual([['profile:read']]);
  });

  it('keep the subgraph-only rules refusing anonymous callers, so the list above stays true', async () => {
    const anonymous = callersFor(rules)[0]!;
    for (const coordinate of Object.keys(SUBGRAPH_ONLY)) {
      const entry = fieldsOf(schema).find((each) => each.coordinate === coordinate)!;
      expect(rules.has(coordinate)).toBe(false);
      expect([coordinate, await actualOutcome(schema, entry, anonymous.context)]).toEqual([coordinate, coordinate === 'Query._entities' ? 'UNAUTHENTICATED' : 'FORBIDDEN']);
    }
  });

  it('with FEDERATION_AUTH_DIRECTIVES=false: leave both directives out of the SDL and keep every check', async () => {
    const gatewaySchema = await buildAppSchema(depsWith(false));
    const sdl = printSchemaWithDirectives(gatewaySchema);
    expect(sdl).not.toMatch(/@authenticated|@requiresScopes/);
    expect(sdl).toContain('import: ["@key"]');
    const callers = callersFor(rules);
    const disagreements: string[] = [];
    for (const entry of fieldsOf(gatewaySchema)) {
      if (SUBGRAPH_ONLY[entry.coordinate]) continue;
      for (const caller of [callers[0]!, callers[1]!, callers[callers.length - 1]!]) {
        const expected = predicted(rules.get(entry.coordinate), caller);
        const actual = await actualOutcome(gatewaySchema, entry, caller.context);
        if (actual !== expected) disagreements.push(`${entry.coordinate} as ${caller.name}: ${actual}, not ${expected}`);
      }
    }
    expect(disagreements).toEqual([]);
  });
});

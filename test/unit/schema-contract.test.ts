// The public contract (SPEC §4) against the schema the service builds, before federation adds its
// fields: every type, field, argument, default and enum value of the SPEC block must appear exactly so.
// The service may add more; it may not change, drop or loosen what the contract names.
import {
  astFromValue,
  buildSchema,
  isEnumType,
  isInputObjectType,
  isObjectType,
  isScalarType,
  Kind,
  parse,
  print,
  type DefinitionNode,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type InputValueDefinitionNode,
} from 'graphql';
import { buildTypeGraphQLSchema, type SchemaDeps } from '../../src/schema';

/** Copied from SPEC §4 (/work/shared/SPEC.md), comments included, plus the fields later sections add to its types. Change it only with the SPEC. */
const SPEC_CONTRACT = /* GraphQL */ `
scalar DateTime
enum Role { USER ADMIN }
type User @key(fields: "id") {
  id: ID!
  email: String        # null unless the viewer is this user, an ADMIN, or a client with scope users:read
  name: String!
  role: Role!
  createdAt: DateTime!
  updatedAt: DateTime!
  mfaEnabled: Boolean! # SPEC §11: self and ADMIN
}
type AuthPayload {
  user: User!
  accessToken: String!
  refreshToken: String # null when REFRESH_TOKEN_IN_BODY=false (cookie-only clients)
  tokenType: String!   # "Bearer"
  expiresIn: Int!      # access-token lifetime in seconds
}
input RegisterInput { email: String! password: String! name: String! }
input LoginInput { email: String! password: String! }
type Query { me: User! }
type Mutation {
  register(input: RegisterInput!): AuthPayload!   # creates the user and logs in
  login(input: LoginInput!): AuthPayload!
  refresh(refreshToken: String): AuthPayload!      # argument, else the refresh_token cookie
  logout(allSessions: Boolean = false): Boolean!   # current session, or every session of the user
}
`;

/** SPEC §10's additions to the §4 types (User gains a field; new mutations). */
const SPEC_10_CONTRACT = /* GraphQL */ `
type User { emailVerified: Boolean! }
type Mutation {
  verifyEmail(token: String!): User!
  resendVerificationEmail: Boolean!
  requestPasswordReset(email: String!): Boolean!
  resetPassword(token: String!, newPassword: String!): Boolean!
  requestEmailChange(newEmail: String!, currentPassword: String!): Boolean!
  confirmEmailChange(token: String!): User!
}
`;

type Named = { name: { value: string } };

/** Each difference as one line, so a failure names everything that drifted at once. */
function drift(schema: GraphQLSchema, contract = SPEC_CONTRACT): string[] {
  const problems: string[] = [];
  for (const definition of parse(contract).definitions) {
    const name = (definition as DefinitionNode & Named).name.value;
    const actual = schema.getType(name);
    if (!actual) {
      problems.push(`type ${name} is missing`);
      continue;
    }
    problems.push(...compareType(definition, actual));
  }
  return problems;
}

function compareType(expected: DefinitionNode, actual: GraphQLNamedType): string[] {
  switch (expected.kind) {
    case Kind.SCALAR_TYPE_DEFINITION:
      return isScalarType(actual) ? [] : [`${actual.name} is not a scalar`];
    case Kind.ENUM_TYPE_DEFINITION: {
      if (!isEnumType(actual)) return [`${actual.name} is not an enum`];
      const values = actual.getValues().map((value) => value.name);
      const wanted = (expected.values ?? []).map((value) => value.name.value);
      return values.join(' ') === wanted.join(' ') ? [] : [`enum ${actual.name} is { ${values.join(' ')} }, expected { ${wanted.join(' ')} }`];
    }
    case Kind.OBJECT_TYPE_DEFINITION: {
      if (!isObjectType(actual)) return [`${actual.name} is not an object type`];
      const problems: string[] = [];
      for (const field of expected.fields ?? []) {
        const found: GraphQLField<unknown, unknown> | undefined = actual.getFields()[field.name.value];
        const where = `${actual.name}.${field.name.value}`;
        if (!found) {
          problems.push(`${where} is missing`);
          continue;
        }
        if (String(found.type) !== print(field.type)) problems.push(`${where} is ${String(found.type)}, expected ${print(field.type)}`);
        problems.push(...compareArguments(where, field.arguments ?? [], found.args));
      }
      return problems;
    }
    case Kind.INPUT_OBJECT_TYPE_DEFINITION: {
      if (!isInputObjectType(actual)) return [`${actual.name} is not an input type`];
      const fields = actual.getFields();
      const problems = (expected.fields ?? []).flatMap((field) => compareInputValue(`${actual.name}.${field.name.value}`, field, fields[field.name.value]));
      const extra = Object.values(fields).filter((field) => !expected.fields?.some((wanted) => wanted.name.value === field.name));
      return [...problems, ...requiredExtras(actual.name, extra)];
    }
    default:
      return [`the contract holds a ${expected.kind}, which this test does not compare`];
  }
}

function compareArguments(where: string, expected: readonly InputValueDefinitionNode[], actual: readonly GraphQLArgument[]): string[] {
  const problems = expected.flatMap((argument) =>
    compareInputValue(`${where}(${argument.name.value})`, argument, actual.find((found) => found.name === argument.name.value)),
  );
  const extra = actual.filter((found) => !expected.some((argument) => argument.name.value === found.name));
  return [...problems, ...requiredExtras(where, extra)];
}

/** Same type, same default (or none). */
function compareInputValue(where: string, expected: InputValueDefinitionNode, actual: GraphQLArgument | GraphQLInputField | undefined): string[] {
  if (!actual) return [`${where} is missing`];
  const problems: string[] = [];
  if (String(actual.type) !== print(expected.type)) problems.push(`${where} is ${String(actual.type)}, expected ${print(expected.type)}`);
  const wantedDefault = expected.defaultValue ? print(expected.defaultValue) : undefined;
  const actualDefault = actual.defaultValue === undefined ? undefined : printValue(actual);
  if (actualDefault !== wantedDefault) problems.push(`${where} defaults to ${actualDefault ?? 'nothing'}, expected ${wantedDefault ?? 'nothing'}`);
  return problems;
}

function printValue(input: GraphQLArgument | GraphQLInputField): string {
  const node = astFromValue(input.defaultValue, input.type);
  return node ? print(node) : 'an unprintable value';
}

/** Additions the contract does not name are allowed only if a client written against it can ignore them. */
function requiredExtras(where: string, extra: ReadonlyArray<GraphQLArgument | GraphQLInputField>): string[] {
  return extra
    .filter((input) => String(input.type).endsWith('!') && input.defaultValue === undefined)
    .map((input) => `${where} requires ${input.name}: ${String(input.type)}, which the contract does not have`);
}

describe('the public schema contract (SPEC §4)', () => {
  let schema: GraphQLSchema;
  beforeAll(async () => {
    // The schema's shape does not depend on the services: no resolver runs here.
    schema = await buildTypeGraphQLSchema({ refreshTokenInBody: true } as SchemaDeps);
  });

  it('holds every type, field, argument, default and enum value of the SPEC block with exactly its type', () => {
    expect(drift(schema)).toEqual([]);
  });

  it("holds SPEC §10's additions: User.emailVerified and the recovery mutations, with exactly their types", () => {
    expect(drift(schema, SPEC_10_CONTRACT)).toEqual([]);
  });

  it('notices drift: a schema that tightens an argument, changes a type or drops a field fails the check', () => {
    const drifted = buildSchema(`
      scalar DateTime
      enum Role { USER }
      type User { id: ID! email: String! name: String! role: Role! createdAt: DateTime! mfaEnabled: Boolean! }
      type AuthPayload { user: User! accessToken: String! refreshToken: String tokenType: String! expiresIn: Int! }
      input RegisterInput { email: String! password: String! name: String! inviteCode: String! }
      input LoginInput { email: String! password: String! }
      type Query { me: User }
      type Mutation {
        register(input: RegisterInput!): AuthPayload!
        login(input: LoginInput!, otp: String!): AuthPayload!
        refresh(refreshToken: String): AuthPayload!
        logout(allSessions: Boolean! = false): Boolean!
      }
    `);

    expect(drift(drifted)).toEqual([
      'enum Role is { USER }, expected { USER ADMIN }',
      'User.email is String!, expected String',
      'User.updatedAt is missing',
      'RegisterInput requires inviteCode: String!, which the contract does not have',
      'Query.me is User, expected User!',
      'Mutation.login requires otp: String!, which the contract does not have',
      'Mutation.logout(allSessions) is Boolean!, expected Boolean',
    ]);
  });
});

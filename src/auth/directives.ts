// Federation's authorization directives, each paired with the subgraph's own check so the two can
// never drift apart: a router enforces them at the edge, and this service enforces exactly the same
// rule itself, in the router's terms — a caller with a token (user or machine client), and the
// token's scopes. The role a router cannot see is carried by a scope (ADMIN_SCOPE); see
// docs/federation.md#authorization-at-the-edge.
import { Directive, UseMiddleware, type MiddlewareFn } from 'type-graphql';
import type { Context } from '../context';
import { ForbiddenError, UnauthenticatedError } from '../errors';
import { Role } from '../users/user';
import { ADMIN_SCOPE, PROFILE_READ_SCOPE, satisfies, type Scope } from './scopes';

type FieldDecorator = (prototype: object, propertyKey: string | symbol, descriptor?: PropertyDescriptor) => void;

/** What an operation asks for: the ADMIN role (carried by the `admin` scope) or a scope, any one of which is enough. */
export type Requirement = typeof Role.ADMIN | Scope;

/**
 * `@authenticated @requiresScopes(scopes: anyOf)`: no token → UNAUTHENTICATED; a token (a user's or a
 * machine client's) without every scope of at least one list → FORBIDDEN. `[['a', 'b'], ['c']]` is
 * (a AND b) OR c.
 */
export function RequiresScopes(...anyOf: string[][]): FieldDecorator {
  const needs = anyOf.map((allOf) => allOf.join(' and ')).join(' or ');
  const guard: MiddlewareFn<Context> = ({ context }, next) => {
    const scopes = context.viewer?.scopes ?? context.serviceClient?.scopes;
    if (!scopes) throw new UnauthenticatedError();
    if (!satisfies(scopes, anyOf)) throw new ForbiddenError(`This operation needs the scope ${needs}`);
    return next();
  };
  const sdl = `@requiresScopes(scopes: ${JSON.stringify(anyOf)})`;
  return (prototype, propertyKey, descriptor) => {
    // type-graphql prints a field's directives last-declared first.
    Directive(sdl)(prototype, propertyKey, descriptor as never);
    Directive('@authenticated')(prototype, propertyKey, descriptor as never);
    UseMiddleware(guard)(prototype, propertyKey, descriptor as never);
  };
}

/**
 * A signed-in user, not a machine client: `@authenticated @requiresScopes(scopes: [["profile:read"]])`.
 * Every role holds profile:read (config refuses a ROLE_SCOPES without it) and no client can be granted
 * it, so the scope says "a user's token" in terms a router can check.
 */
export function SignedIn(): FieldDecorator {
  return RequiresScopes([PROFILE_READ_SCOPE]);
}

/**
 * `@Authorized(Role.ADMIN, Scope.USERS_READ)` in the router's terms: the ADMIN role is its scope
 * `admin`, so this is `@requiresScopes(scopes: [["admin"], ["users:read"]])`.
 */
export function Requires(...requirements: [Requirement, ...Requirement[]]): FieldDecorator {
  return RequiresScopes(...requirements.map((requirement) => [requirement === Role.ADMIN ? ADMIN_SCOPE : requirement]));
}

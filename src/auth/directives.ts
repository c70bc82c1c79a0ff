// Federation's authorization directives, each paired with the subgraph's own check so the two can
// never drift apart: a router enforces them at the edge, and this service still enforces them itself.
import { Authorized, Directive, UseMiddleware, type MiddlewareFn } from 'type-graphql';
import type { Context } from '../context';
import { ForbiddenError, UnauthenticatedError } from '../errors';
import { satisfies } from './scopes';

type FieldDecorator = (prototype: object, propertyKey: string | symbol, descriptor?: PropertyDescriptor) => void;

/** `@authenticated`: no viewer → UNAUTHENTICATED. */
export function Authenticated(): FieldDecorator {
  return (prototype, propertyKey, descriptor) => {
    Directive('@authenticated')(prototype, propertyKey, descriptor as never);
    Authorized()(prototype, propertyKey, descriptor as never);
  };
}

/**
 * `@requiresScopes(scopes: anyOf)`: the viewer's token must hold every scope of at least one list,
 * else FORBIDDEN (UNAUTHENTICATED without a viewer). `RequiresScopes(['a', 'b'], ['c'])` is (a AND b) OR c.
 */
export function RequiresScopes(...anyOf: string[][]): FieldDecorator {
  const sdl = `@requiresScopes(scopes: ${JSON.stringify(anyOf)})`;
  const guard: MiddlewareFn<Context> = ({ context }, next) => {
    if (!context.viewer) throw new UnauthenticatedError();
    if (!satisfies(context.viewer.scopes, anyOf)) throw new ForbiddenError(`This field needs the scope ${anyOf.map((all) => all.join(' and ')).join(' or ')}`);
    return next();
  };
  return (prototype, propertyKey, descriptor) => {
    Directive(sdl)(prototype, propertyKey, descriptor as never);
    UseMiddleware(guard)(prototype, propertyKey, descriptor as never);
  };
}

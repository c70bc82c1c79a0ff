// type-graphql's @Authorized(...requirements). No credentials → UNAUTHENTICATED.
// @Authorized() needs a signed-in user (a machine client is FORBIDDEN). @Authorized('ADMIN', 'users:read')
// is met by any one of its requirements: a role the viewer has, or a scope granted to the caller's
// token (a user's or a machine client's). Anything else → FORBIDDEN.
import type { AuthChecker } from 'type-graphql';
import type { Context } from '../context';
import { ForbiddenError, UnauthenticatedError } from '../errors';

export const authChecker: AuthChecker<Context> = ({ context }, requirements) => {
  const { viewer, serviceClient } = context;
  if (!viewer && !serviceClient) throw new UnauthenticatedError();
  if (requirements.length === 0) {
    if (viewer) return true;
    throw new ForbiddenError('This operation needs a signed-in user');
  }
  const scopes = viewer?.scopes ?? serviceClient?.scopes ?? [];
  if (requirements.some((requirement) => requirement === viewer?.role || scopes.includes(requirement))) return true;
  throw new ForbiddenError();
};

// type-graphql's @Authorized(...requirements). No credentials → UNAUTHENTICATED.
// @Authorized() needs a signed-in user. @Authorized('ADMIN', 'users:read') is met by any one of its
// requirements: a role the viewer has, or a scope the caller's token was granted. Else FORBIDDEN.
import type { AuthChecker } from 'type-graphql';
import type { Context } from '../context';
import { ForbiddenError, UnauthenticatedError } from '../errors';

export const authChecker: AuthChecker<Context> = ({ context }, requirements) => {
  const { viewer } = context;
  if (!viewer) throw new UnauthenticatedError();
  if (requirements.length === 0) return true;
  if (requirements.some((requirement) => requirement === viewer.role || viewer.scopes.includes(requirement))) return true;
  throw new ForbiddenError();
};

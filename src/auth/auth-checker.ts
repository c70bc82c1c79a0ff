// type-graphql's @Authorized(): no viewer → UNAUTHENTICATED; a viewer without the role → FORBIDDEN.
import type { AuthChecker } from 'type-graphql';
import type { Context } from '../context';
import { ForbiddenError, UnauthenticatedError } from '../errors';

export const authChecker: AuthChecker<Context> = ({ context }, roles) => {
  const { viewer } = context;
  if (!viewer) throw new UnauthenticatedError();
  if (roles.length > 0 && !roles.includes(viewer.role)) throw new ForbiddenError();
  return true;
};

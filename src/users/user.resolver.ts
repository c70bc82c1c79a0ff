import { Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import type { AuthService } from '../auth/auth.service';
import { SignedIn } from '../auth/directives';
import { Scope } from '../auth/scopes';
import type { Viewer } from '../auth/viewer';
import type { Context } from '../context';
import { User } from './user.type';
import type { UserRecord } from './user';


/** SPEC §4: an email is shown to its owner, to ADMINs, and to clients holding users:read. */
export function canSeeEmail(viewer: Viewer | null, userId: string): boolean {
  if (!viewer) return false;
  return viewer.userId === userId || viewer.role === 'ADMIN' || viewer.scopes.includes(Scope.USERS_READ);
}

/** The whole rule for `email` (and `emailVerified`, SPEC §10), with machine clients and the user this request signed in. */
export function mayReadEmail(ctx: Context, userId: string): boolean {
  const clientMaySee = ctx.serviceClient?.scopes.includes(Scope.USERS_READ) ?? false;
  return canSeeEmail(ctx.viewer, userId) || clientMaySee || ctx.signedInUserId === userId;
}

@Resolver(() => User)
export class UserResolver {
  constructor(private readonly auth: AuthService) {}

  @SignedIn()
  @Query(() => User, { description: 'The signed-in user (needs scope profile:read).' })
  me(@Ctx() ctx: Context): Promise<UserRecord> {
    return this.auth.currentUser(ctx.viewer!);
  }

  @FieldResolver(() => String, { nullable: true, description: 'Null unless the viewer is this user, an ADMIN, or holds scope users:read.' })
  email(@Root() user: UserRecord, @Ctx() ctx: Context): string | null {
    return mayReadEmail(ctx, user.id) ? user.email : null;
  }
}

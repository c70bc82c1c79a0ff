import { Arg, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { Requires } from '../auth/directives';
import { actorOf } from '../audit/actor';
import type { Context } from '../context';
import { Scope } from '../auth/scopes';
import { Role, type UserRecord } from '../users/user';
import { User } from '../users/user.type';
import type { AdminService } from './admin.service';
import { UserConnection } from './user-connection.type';

@Resolver()
export class AdminResolver {
  constructor(private readonly admin: AdminService) {}

  @Requires(Role.ADMIN, Scope.USERS_READ)
  @Query(() => UserConnection, { description: 'ADMIN or scope users:read. Users oldest first; search matches email or name.' })
  users(
    @Arg('first', () => Int, { nullable: true, description: '1–100, default 20.' }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Arg('search', () => String, { nullable: true, description: 'Case-insensitive substring of email or name.' }) search: string | null,
  ): Promise<UserConnection> {
    return this.admin.listUsers({ first, after, search });
  }

  @Requires(Role.ADMIN)
  @Mutation(() => User, { description: "ADMIN only. Revokes the user's sessions; the last active ADMIN cannot be demoted." })
  setUserRole(@Arg('id', () => ID) id: string, @Arg('role', () => Role) role: Role, @Ctx() ctx: Context): Promise<UserRecord> {
    return this.admin.setRole(id, role, actorOf(ctx));
  }

  @Requires(Role.ADMIN, Scope.USERS_WRITE)
  @Mutation(() => User, { description: 'ADMIN or scope users:write. Revokes every session at once; login then answers FORBIDDEN.' })
  disableUser(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<UserRecord> {
    return this.admin.disable(id, actorOf(ctx));
  }

  @Requires(Role.ADMIN, Scope.USERS_WRITE)
  @Mutation(() => User, { description: 'ADMIN or scope users:write.' })
  enableUser(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<UserRecord> {
    return this.admin.enable(id, actorOf(ctx));
  }
}

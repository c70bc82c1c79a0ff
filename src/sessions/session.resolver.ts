import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { SignedIn } from '../auth/directives';
import { actorOf } from '../audit/actor';
import type { Context } from '../context';
import type { SessionService } from './session.service';
import { Session } from './session.type';

@Resolver(() => Session)
export class SessionResolver {
  constructor(private readonly service: SessionService) {}

  @SignedIn()
  @Query(() => [Session], { description: "The viewer's live sessions, most recently used first." })
  sessions(@Ctx() ctx: Context): Promise<Session[]> {
    return this.service.list(ctx.viewer!);
  }

  @SignedIn()
  @Mutation(() => Boolean, { description: "Revokes one of the viewer's sessions; false when the viewer has no such session." })
  async revokeSession(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<boolean> {
    const viewer = ctx.viewer!;
    const revoked = await this.service.revoke(viewer.userId, id, actorOf(ctx));
    if (revoked && id === viewer.sessionId) ctx.cookies.clear(); // revoking this session is a logout
    return revoked;
  }
}

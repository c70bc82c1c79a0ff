import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import { SignedIn } from './directives';
import { actorOf } from '../audit/actor';
import type { Context } from '../context';
import type { PasswordChangeService } from './password-change.service';

@Resolver()
export class PasswordChangeResolver {
  constructor(private readonly passwords: PasswordChangeService) {}

  @SignedIn()
  @Mutation(() => Boolean, { description: "Changes the viewer's password; keeps this session and revokes every other one." })
  async changePassword(
    @Arg('currentPassword', () => String) currentPassword: string,
    @Arg('newPassword', () => String, { description: 'Same rules as register: 8–128 characters.' }) newPassword: string,
    @Ctx() ctx: Context,
  ): Promise<boolean> {
    await this.passwords.change(ctx.viewer!, currentPassword, newPassword, actorOf(ctx));
    return true;
  }
}

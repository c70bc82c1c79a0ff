import { Arg, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import { Requires, SignedIn } from '../auth/directives';
import { actorOf } from '../audit/actor';
import { AuthPayload } from '../auth/auth-payload.type';
import { issueAuthPayload } from '../auth/issue-auth-payload';
import type { Context } from '../context';
import { ForbiddenError } from '../errors';
import { Role, type UserRecord } from '../users/user';
import { User } from '../users/user.type';
import type { MfaLoginService } from './mfa-login.service';
import { RecoveryCodes, TotpEnrollment } from './mfa.type';
import type { TotpEnrollmentService } from './totp-enrollment.service';

@Resolver(() => User)
export class MfaResolver {
  constructor(
    private readonly enrollment: TotpEnrollmentService,
    private readonly login: MfaLoginService,
    private readonly refreshTokenInBody: boolean,
  ) {}

  @SignedIn()
  @Mutation(() => TotpEnrollment, { description: 'Starts a TOTP enrollment (10 minutes to confirm). CONFLICT when a second factor is already on.' })
  startTotpEnrollment(@Ctx() ctx: Context): Promise<TotpEnrollment> {
    return this.enrollment.start(ctx.viewer!, actorOf(ctx));
  }

  @SignedIn()
  @Mutation(() => RecoveryCodes, { description: "Turns TOTP on with a code from the app; returns ten recovery codes, once. Revokes the user's other sessions." })
  async confirmTotpEnrollment(@Arg('code', () => String) code: string, @Ctx() ctx: Context): Promise<RecoveryCodes> {
    return { codes: await this.enrollment.confirm(ctx.viewer!, code, actorOf(ctx)) };
  }

  @SignedIn()
  @Mutation(() => RecoveryCodes, { description: 'Replaces the recovery codes (the old ones stop working); needs a current TOTP code.' })
  async regenerateRecoveryCodes(@Arg('code', () => String) code: string, @Ctx() ctx: Context): Promise<RecoveryCodes> {
    return { codes: await this.enrollment.regenerateRecoveryCodes(ctx.viewer!, code, actorOf(ctx)) };
  }

  @SignedIn()
  @Mutation(() => Boolean, { description: "Turns TOTP off (false: it was not on). Revokes the user's other sessions." })
  disableTotp(@Arg('password', () => String) password: string, @Ctx() ctx: Context): Promise<boolean> {
    return this.enrollment.disable(ctx.viewer!, password, actorOf(ctx));
  }

  @Mutation(() => AuthPayload, { description: "Finishes a login that answered MFA_REQUIRED, with a TOTP code or a recovery code." })
  async verifyMfa(@Arg('mfaToken', () => String) mfaToken: string, @Arg('code', () => String) code: string, @Ctx() ctx: Context): Promise<AuthPayload> {
    return issueAuthPayload(await this.login.verify(mfaToken, code, ctx.client), ctx, this.refreshTokenInBody);
  }

  @Requires(Role.ADMIN)
  @Mutation(() => User, { description: "ADMIN only. Removes the user's TOTP factor and recovery codes and revokes their sessions." })
  resetUserMfa(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<UserRecord> {
    return this.enrollment.reset(id, actorOf(ctx));
  }

  @FieldResolver(() => Boolean, { description: 'Whether a second factor (TOTP) is on. Only the user and ADMINs may see it.' })
  mfaEnabled(@Root() user: UserRecord, @Ctx() ctx: Context): Promise<boolean> {
    const self = ctx.viewer?.userId === user.id || ctx.signedInUserId === user.id; // signedInUserId: an AuthPayload's user
    if (!self && ctx.viewer?.role !== Role.ADMIN) throw new ForbiddenError('Only the user and ADMINs may see mfaEnabled');
    return this.enrollment.isEnabled(user.id);
  }
}

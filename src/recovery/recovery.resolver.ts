// The GraphQL side of SPEC §10: thin, each field one service call. `User.emailVerified` follows `email`'s rule.
import { Arg, Ctx, FieldResolver, Mutation, Resolver, Root } from 'type-graphql';
import { SignedIn } from '../auth/directives';
import type { Context } from '../context';
import { mayReadEmail } from '../users/user.resolver';
import { User } from '../users/user.type';
import type { UserRecord } from '../users/user';
import type { EmailChangeService } from './email-change.service';
import type { EmailVerificationService } from './email-verification.service';
import type { PasswordResetService } from './password-reset.service';

export interface RecoveryServices {
  verification: EmailVerificationService;
  reset: PasswordResetService;
  emailChange: EmailChangeService;
}

@Resolver(() => User)
export class RecoveryResolver {
  constructor(private readonly services: RecoveryServices) {}

  /** SPEC §10 makes it non-null: where `email` is null, this is false (it tells nothing about the address). */
  @FieldResolver(() => Boolean, { description: 'Whether the user confirmed their email address. False wherever email is null (same visibility rule).' })
  emailVerified(@Root() user: UserRecord, @Ctx() ctx: Context): boolean {
    return mayReadEmail(ctx, user.id) && user.emailVerified;
  }

  @Mutation(() => User, { description: 'Confirms the email address with the token from the verification mail (valid 24 h).' })
  verifyEmail(@Arg('token', () => String) token: string, @Ctx() ctx: Context): Promise<UserRecord> {
    return this.services.verification.verify(token, ctx.viewer, ctx.client);
  }

  @SignedIn()
  @Mutation(() => Boolean, { description: "Sends the viewer a new verification link (the older one stops working); nothing when already verified." })
  async resendVerificationEmail(@Ctx() ctx: Context): Promise<boolean> {
    await this.services.verification.resend(ctx.viewer!, ctx.client);
    return true;
  }

  @Mutation(() => Boolean, { description: 'Mails a password-reset link if the email has an account. Always true, in about the same time.' })
  async requestPasswordReset(@Arg('email', () => String) email: string, @Ctx() ctx: Context): Promise<boolean> {
    await this.services.reset.request(email, ctx.client);
    return true;
  }

  @Mutation(() => Boolean, { description: 'Sets a new password with the token from the reset mail; signs the user out everywhere.' })
  async resetPassword(
    @Arg('token', () => String) token: string,
    @Arg('newPassword', () => String, { description: 'Same rules as register: 8–128 characters.' }) newPassword: string,
    @Ctx() ctx: Context,
  ): Promise<boolean> {
    await this.services.reset.reset(token, newPassword, ctx.viewer, ctx.client);
    return true;
  }

  @SignedIn()
  @Mutation(() => Boolean, { description: 'Mails a confirmation link to the new address and a notice to the current one.' })
  async requestEmailChange(
    @Arg('newEmail', () => String) newEmail: string,
    @Arg('currentPassword', () => String) currentPassword: string,
    @Ctx() ctx: Context,
  ): Promise<boolean> {
    await this.services.emailChange.request(ctx.viewer!, newEmail, currentPassword, ctx.client);
    return true;
  }

  @Mutation(() => User, { description: 'Makes the new address the account email, with the token from the confirmation mail.' })
  confirmEmailChange(@Arg('token', () => String) token: string, @Ctx() ctx: Context): Promise<UserRecord> {
    return this.services.emailChange.confirm(token, ctx.viewer, ctx.client);
  }
}

import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import type { Context } from '../context';
import { AuthPayload } from './auth-payload.type';
import { LoginInput, RegisterInput } from './auth.input';
import type { AuthResult, AuthService } from './auth.service';
import { issueAuthPayload } from './issue-payload';

@Resolver()
export class AuthResolver {
  constructor(
    private readonly auth: AuthService,
    private readonly refreshTokenInBody: boolean,
  ) {}

  @Mutation(() => AuthPayload, { description: 'Creates the user and logs in.' })
  async register(@Arg('input', () => RegisterInput) input: RegisterInput, @Ctx() ctx: Context): Promise<AuthPayload> {
    return this.issue(await this.auth.register(input, ctx.client), ctx);
  }

  @Mutation(() => AuthPayload)
  async login(@Arg('input', () => LoginInput) input: LoginInput, @Ctx() ctx: Context): Promise<AuthPayload> {
    return this.issue(await this.auth.login(input, ctx.client), ctx);
  }

  @Mutation(() => AuthPayload, { description: 'Rotates the refresh token given here, else the refresh_token cookie.' })
  async refresh(
    @Arg('refreshToken', () => String, { nullable: true }) refreshToken: string | null,
    @Ctx() ctx: Context,
  ): Promise<AuthPayload> {
    return this.issue(await this.auth.refresh(refreshToken ?? ctx.refreshCookie, ctx.client), ctx);
  }

  @Mutation(() => Boolean, { description: 'Ends the current session, or every session of the user. Idempotent.' })
  async logout(
    // Nullable with a default, as SPEC §4 has it: an explicit null means false.
    @Arg('allSessions', () => Boolean, { nullable: true, defaultValue: false }) allSessions: boolean | null,
    @Ctx() ctx: Context,
  ): Promise<boolean> {
    await this.auth.logout({ viewer: ctx.viewer, refreshToken: ctx.refreshCookie, allSessions: allSessions ?? false, client: ctx.client });
    ctx.cookies.clear();
    return true;
  }

  private issue(result: AuthResult, ctx: Context): AuthPayload {
    return issueAuthPayload(result, ctx, this.refreshTokenInBody);
  }
}

import { Arg, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { SignedIn } from '../auth/directives';
import { AuthPayload } from '../auth/auth-payload.type';
import { issueAuthPayload } from '../auth/issue-auth-payload';
import type { Context } from '../context';
import { LinkedAccount } from './linked-account.type';
import type { OidcAccountService } from './oidc-accounts.service';
import { toGraphQLError } from './oidc-error';
import type { OidcSignInService } from './oidc-sign-in.service';

@Resolver()
export class OidcResolver {
  constructor(
    private readonly oidc: { signIn: OidcSignInService; accounts: OidcAccountService },
    private readonly refreshTokenInBody: boolean,
  ) {}

  @Mutation(() => AuthPayload, {
    description: "Signs in with an ID token a native app got from the provider (checked against the provider's JWKS); creates the user on a first sign-in.",
  })
  async signInWithIdToken(
    @Arg('provider', () => String, { description: 'A provider id from GET /auth/oidc.' }) provider: string,
    @Arg('idToken', () => String) idToken: string,
    @Arg('nonce', () => String, { nullable: true, description: 'The nonce the app sent to the provider; the token must carry it.' })
    nonce: string | null,
    @Ctx() ctx: Context,
  ): Promise<AuthPayload> {
    try {
      return issueAuthPayload(await this.oidc.signIn.signInWithIdToken(provider, idToken, nonce ?? undefined, ctx.client), ctx, this.refreshTokenInBody);
    } catch (error) {
      throw toGraphQLError(error);
    }
  }

  @SignedIn()
  @Query(() => [LinkedAccount], { description: "The viewer's accounts at OpenID providers." })
  async linkedAccounts(@Ctx() ctx: Context): Promise<LinkedAccount[]> {
    const accounts = await this.oidc.accounts.list(ctx.viewer!.userId);
    return accounts.map((account) => ({ ...account, linkedAt: account.createdAt }));
  }

  @SignedIn()
  @Mutation(() => Boolean, {
    description: "Unlinks the viewer's account at the provider; false when none is linked. Refused (FORBIDDEN) when it is the last way to sign in.",
  })
  unlinkAccount(@Arg('provider', () => String) provider: string, @Ctx() ctx: Context): Promise<boolean> {
    return this.oidc.accounts.unlink(ctx.viewer!.userId, provider, ctx.client);
  }
}

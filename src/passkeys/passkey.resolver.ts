import { JSONResolver } from 'graphql-scalars';
import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { SignedIn } from '../auth/directives';
import { actorOf } from '../audit/actor';
import { AuthPayload } from '../auth/auth-payload.type';
import { issueAuthPayload } from '../auth/issue-auth-payload';
import type { Context } from '../context';
import type { PasskeyRecord } from './passkey';
import type { PasskeyService } from './passkey.service';
import { Passkey } from './passkey.type';

@Resolver(() => Passkey)
export class PasskeyResolver {
  constructor(
    private readonly service: PasskeyService,
    private readonly refreshTokenInBody: boolean,
  ) {}

  @SignedIn()
  @Query(() => [Passkey], { description: "The viewer's passkeys, oldest first." })
  passkeys(@Ctx() ctx: Context): Promise<PasskeyRecord[]> {
    return this.service.list(ctx.viewer!);
  }

  @SignedIn()
  @Mutation(() => JSONResolver, { description: 'WebAuthn creation options for navigator.credentials.create (a single-use challenge, 5 minutes).' })
  passkeyRegistrationOptions(@Ctx() ctx: Context): Promise<unknown> {
    return this.service.registrationOptions(ctx.viewer!);
  }

  @SignedIn()
  @Mutation(() => Passkey, { description: 'Saves the passkey made with passkeyRegistrationOptions (the PublicKeyCredential as JSON).' })
  registerPasskey(
    @Arg('response', () => JSONResolver) response: unknown,
    @Arg('name', () => String, { nullable: true, description: 'Up to 100 characters; default "Passkey".' }) name: string | null,
    @Ctx() ctx: Context,
  ): Promise<PasskeyRecord> {
    return this.service.register(ctx.viewer!, response, name, actorOf(ctx));
  }

  @SignedIn()
  @Mutation(() => Boolean, { description: 'False when the viewer has no such passkey; FORBIDDEN when it is their last way to sign in.' })
  deletePasskey(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<boolean> {
    return this.service.delete(ctx.viewer!, id, actorOf(ctx));
  }

  @Mutation(() => JSONResolver, { description: 'WebAuthn request options for navigator.credentials.get (a single-use challenge, 5 minutes). Without an email: discoverable passkeys.' })
  passkeyLoginOptions(@Arg('email', () => String, { nullable: true }) email: string | null): Promise<unknown> {
    return this.service.loginOptions(email);
  }

  @Mutation(() => AuthPayload, { description: 'Signs in with a passkey alone (the PublicKeyCredential from navigator.credentials.get as JSON); no second factor is asked.' })
  async loginWithPasskey(@Arg('response', () => JSONResolver) response: unknown, @Ctx() ctx: Context): Promise<AuthPayload> {
    return issueAuthPayload(await this.service.login(response, ctx.client), ctx, this.refreshTokenInBody);
  }
}

import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { Requires } from '../auth/directives';
import { actorOf } from '../audit/actor';
import type { Context } from '../context';
import { Role } from '../users/user';
import type { ClientAdminService } from './client-admin.service';
import type { ClientCredentialsService } from './client-credentials.service';
import type { ServiceClientRecord } from './service-client';
import { ClientToken, ServiceClient, ServiceClientSecret } from './service-client.type';

@Resolver()
export class ClientResolver {
  constructor(
    private readonly admin: ClientAdminService,
    private readonly credentials: ClientCredentialsService,
  ) {}

  @Requires(Role.ADMIN)
  @Query(() => [ServiceClient], { description: 'ADMIN only. Every machine client, oldest first.' })
  serviceClients(): Promise<ServiceClientRecord[]> {
    return this.admin.list();
  }

  @Requires(Role.ADMIN)
  @Mutation(() => ServiceClientSecret, { description: 'ADMIN only. The secret is in the answer, and nowhere else, ever.' })
  createServiceClient(
    @Arg('name', () => String) name: string,
    @Arg('scopes', () => [String], { description: 'Allowed scopes: users:read, users:write, audit:read.' }) scopes: string[],
    @Ctx() ctx: Context,
  ): Promise<ServiceClientSecret> {
    return this.admin.create({ name, scopes }, actorOf(ctx));
  }

  @Requires(Role.ADMIN)
  @Mutation(() => ServiceClientSecret, { description: 'ADMIN only. A new secret; the old one and its tokens stop working at once.' })
  rotateServiceClientSecret(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<ServiceClientSecret> {
    return this.admin.rotateSecret(id, actorOf(ctx));
  }

  @Requires(Role.ADMIN)
  @Mutation(() => ServiceClient, { description: 'ADMIN only. Its tokens are refused at once.' })
  disableServiceClient(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<ServiceClientRecord> {
    return this.admin.disable(id, actorOf(ctx));
  }

  @Mutation(() => ClientToken, { description: 'The client-credentials grant: no user, no refresh token. Also at POST /oauth/token.' })
  async clientToken(
    @Arg('clientId', () => String) clientId: string,
    @Arg('clientSecret', () => String) clientSecret: string,
    @Arg('scopes', () => [String], { nullable: true, description: 'A subset of the allowed scopes; all of them when omitted.' }) scopes: string[] | null,
    @Ctx() ctx: Context,
  ): Promise<ClientToken> {
    const issued = await this.credentials.issue({ clientId, clientSecret, scopes }, ctx.client);
    return { accessToken: issued.accessToken, tokenType: 'Bearer', expiresIn: issued.expiresIn, scopes: issued.scopes };
  }
}

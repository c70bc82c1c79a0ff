import { Field, ID, Int, ObjectType } from 'type-graphql';
import type { ServiceClientRecord } from './service-client';

@ObjectType({ description: 'A machine client that gets access tokens with the OAuth 2.0 client-credentials grant.' })
export class ServiceClient {
  @Field(() => ID, { description: 'The client id, like "pc_…".' })
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => [String], { description: 'The scopes its tokens may carry.' })
  scopes!: string[];

  @Field(() => Boolean)
  disabled!: boolean;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date, { nullable: true, description: 'When it last got a token.' })
  lastUsedAt!: Date | null;
}

@ObjectType({ description: 'A client with its new secret. The secret is shown only here, once: store it now.' })
export class ServiceClientSecret {
  @Field(() => ServiceClient)
  client!: ServiceClientRecord;

  @Field(() => String)
  clientSecret!: string;
}

@ObjectType({ description: 'An access token for a machine client (no refresh token: ask again when it expires).' })
export class ClientToken {
  @Field(() => String)
  accessToken!: string;

  @Field(() => String, { description: 'Always "Bearer".' })
  tokenType!: string;

  @Field(() => Int, { description: 'Lifetime in seconds (CLIENT_TOKEN_TTL).' })
  expiresIn!: number;

  @Field(() => [String], { description: 'The scopes granted.' })
  scopes!: string[];
}

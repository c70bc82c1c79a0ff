import { Field, Int, ObjectType } from 'type-graphql';
import { User } from '../users/user.type';
import type { UserRecord } from '../users/user';

@ObjectType({ description: 'Tokens for the authenticated user, who is the viewer here.' })
export class AuthPayload {
  @Field(() => User)
  user!: UserRecord;

  @Field(() => String)
  accessToken!: string;

  @Field(() => String, { nullable: true, description: 'Null when REFRESH_TOKEN_IN_BODY=false (cookie-only clients).' })
  refreshToken!: string | null;

  @Field(() => String, { description: 'Always "Bearer".' })
  tokenType!: string;

  @Field(() => Int, { description: 'Access-token lifetime in seconds.' })
  expiresIn!: number;
}

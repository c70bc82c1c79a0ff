import { Field, ObjectType } from 'type-graphql';

@ObjectType({ description: "An account at an OpenID provider that signs in as the viewer." })
export class LinkedAccount {
  @Field(() => String, { description: 'The provider id, as in OIDC_PROVIDERS and GET /auth/oidc.' })
  provider!: string;

  @Field(() => String, { description: "The provider's stable subject identifier (sub)." })
  subject!: string;

  @Field(() => String, { nullable: true, description: 'The email the provider gave when the account was linked.' })
  email!: string | null;

  @Field(() => Date)
  linkedAt!: Date;

  @Field(() => Date, { nullable: true, description: 'The last sign-in through this account.' })
  lastUsedAt!: Date | null;
}

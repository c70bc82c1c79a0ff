import { Field, ID, ObjectType } from 'type-graphql';

@ObjectType({ description: "One of the viewer's passkeys (WebAuthn credentials)." })
export class Passkey {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date, { nullable: true })
  lastUsedAt!: Date | null;
}

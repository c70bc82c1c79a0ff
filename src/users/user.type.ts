import { Directive, Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { Role } from './user';

registerEnumType(Role, { name: 'Role' });

@ObjectType({ description: 'A person with an account. Other subgraphs reference it by id.' })
@Directive('@key(fields: "id")')
export class User {
  @Field(() => ID)
  id!: string;

  /** Resolved by UserResolver.email: visible only to the user, an ADMIN, or scope users:read. */
  email?: string | null;

  @Field(() => String)
  name!: string;

  @Field(() => Role)
  role!: Role;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date)
  updatedAt!: Date;
}

import { Field, InputType } from 'type-graphql';

// Shapes only: the rules (normalisation, lengths) live in auth.validation.ts so that they run once,
// in the service, before any hashing.
@InputType()
export class RegisterInput {
  @Field(() => String)
  email!: string;

  @Field(() => String)
  password!: string;

  @Field(() => String)
  name!: string;
}

@InputType()
export class LoginInput {
  @Field(() => String)
  email!: string;

  @Field(() => String)
  password!: string;
}

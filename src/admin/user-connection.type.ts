import { Field, Int, ObjectType } from 'type-graphql';
import { PageInfo } from '../common/page-info.type';
import type { UserRecord } from '../users/user';
import { User } from '../users/user.type';

@ObjectType()
export class UserEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => User)
  node!: UserRecord;
}

@ObjectType({ description: 'A page of users, oldest account first (Relay connection).' })
export class UserConnection {
  @Field(() => [UserEdge])
  edges!: UserEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  @Field(() => Int, { description: 'Users matching the search, on all pages.' })
  totalCount!: number;
}

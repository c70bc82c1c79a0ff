import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { PageInfo } from '../common/page-info.type';
import { AuthEventOutcome, AuthEventType, type AuthEventRecord } from './audit-event';

registerEnumType(AuthEventType, { name: 'AuthEventType' });
registerEnumType(AuthEventOutcome, { name: 'AuthEventOutcome' });

@ObjectType({ description: 'One entry of the audit log.' })
export class AuthEvent {
  @Field(() => ID)
  id!: string;

  @Field(() => AuthEventType)
  type!: AuthEventType;

  @Field(() => AuthEventOutcome)
  outcome!: AuthEventOutcome;

  @Field(() => ID, { nullable: true, description: 'The user the event is about.' })
  userId!: string | null;

  @Field(() => ID, { nullable: true, description: 'The user who did it (the user themself, or an admin).' })
  actorId!: string | null;

  @Field(() => String, { nullable: true, description: 'The machine client involved.' })
  clientId!: string | null;

  @Field(() => String, { nullable: true })
  sessionId!: string | null;

  @Field(() => String, { nullable: true })
  ip!: string | null;

  @Field(() => String, { nullable: true })
  userAgent!: string | null;

  @Field(() => String, { nullable: true, description: 'A short detail, like "wrong password" or "USER->ADMIN".' })
  reason!: string | null;

  @Field(() => Date)
  createdAt!: Date;
}

@ObjectType()
export class AuthEventEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => AuthEvent)
  node!: AuthEventRecord;
}

@ObjectType({ description: 'A page of audit events, newest first (Relay connection).' })
export class AuthEventConnection {
  @Field(() => [AuthEventEdge])
  edges!: AuthEventEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  @Field(() => Int)
  totalCount!: number;
}

import { Field, ID, ObjectType } from 'type-graphql';

@ObjectType({ description: 'The browser and OS a session was last used from, parsed from its User-Agent header.' })
export class UserAgent {
  @Field(() => String, {
    description:
      'The same as description: sessions keep only the parsed browser, OS and device (or the first 48 characters of a header the parser does not recognise). Sessions created before that change show the header as sent (at most 256 characters).',
  })
  raw!: string;

  @Field(() => String, { nullable: true, description: 'Browser name and major version, like "Firefox 128".' })
  browser!: string | null;

  @Field(() => String, { nullable: true, description: 'Operating system and version, like "Windows 10".' })
  os!: string | null;

  @Field(() => String, { nullable: true, description: 'Device vendor and model, when the header names one.' })
  device!: string | null;

  @Field(() => String, { description: 'Browser and OS in one phrase, like "Firefox 128 on Windows 10"; else the raw header.' })
  description!: string;
}

@ObjectType({ description: 'One signed-in device or browser of the viewer.' })
export class Session {
  @Field(() => ID)
  id!: string;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date, { description: 'Login or the last refresh.' })
  lastUsedAt!: Date;

  @Field(() => Date, { description: 'When the session ends unless it is refreshed before (never past SESSION_MAX_AGE).' })
  expiresAt!: Date;

  @Field(() => String, { description: 'Client IP at login or the last refresh.' })
  ip!: string;

  @Field(() => UserAgent)
  userAgent!: UserAgent;

  @Field(() => Boolean, { description: 'True for the session making this request.' })
  current!: boolean;
}

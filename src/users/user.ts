// The user as the domain sees it (a row of the users table), independent of GraphQL.
import type { Role } from '../generated/prisma/enums';

export { Role } from '../generated/prisma/enums';

export interface UserRecord {
  id: string;
  email: string;
  name: string;
  /** Null for a user created by an OpenID provider: no password to log in with until one is set. */
  passwordHash: string | null;
  /** The user proved they own the email (a provider said so, or a verification link). */
  emailVerified: boolean;
  role: Role;
  active: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewUser {
  email: string;
  name: string;
  passwordHash: string | null;
  emailVerified?: boolean;
}

export interface UserRepository {
  findById(id: string): Promise<UserRecord | null>;
  findByEmail(email: string): Promise<UserRecord | null>;
  /** Throws ConflictError when the (normalised) email is taken. */
  create(user: NewUser): Promise<UserRecord>;
  updatePasswordHash(id: string, passwordHash: string): Promise<void>;
  delete(id: string): Promise<void>;
}

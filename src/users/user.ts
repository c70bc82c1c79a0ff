// The user as the domain sees it (a row of the users table), independent of GraphQL.
import type { Role } from '../generated/prisma/enums';

export { Role } from '../generated/prisma/enums';

export interface UserRecord {
  id: string;
  email: string;
  name: string;
  passwordHash: string;
  role: Role;
  active: boolean;
  /** The user proved they read mail at `email` (SPEC §10). */
  emailVerified: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewUser {
  email: string;
  name: string;
  passwordHash: string;
}

export interface UserRepository {
  findById(id: string): Promise<UserRecord | null>;
  findByEmail(email: string): Promise<UserRecord | null>;
  /** Throws ConflictError when the (normalised) email is taken. */
  create(user: NewUser): Promise<UserRecord>;
  updatePasswordHash(id: string, passwordHash: string): Promise<void>;
  delete(id: string): Promise<void>;
}

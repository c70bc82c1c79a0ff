// A provider account linked to a user (SPEC §12), as the domain sees it, and the store it lives in.
import type { NewUser, UserRecord } from '../users/user';

export interface LinkedAccountRecord {
  id: string;
  userId: string;
  provider: string;
  subject: string;
  /** The email the provider gave when it was linked. */
  email: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
}

export interface NewLinkedAccount {
  provider: string;
  subject: string;
  email: string | null;
}

/** The (provider, subject) pair, or this user's account at the provider, is linked already. */
export class LinkConflictError extends Error {
  constructor() {
    super('linked account conflict');
    this.name = 'LinkConflictError';
  }
}

export interface LinkedAccountRepository {
  find(provider: string, subject: string): Promise<LinkedAccountRecord | null>;
  listForUser(userId: string): Promise<LinkedAccountRecord[]>;
  /** Throws LinkConflictError when the pair or the user's account at this provider exists. */
  link(userId: string, account: NewLinkedAccount): Promise<LinkedAccountRecord>;
  /** A new user and its first linked account, together or not at all; LinkConflictError when either exists. */
  createUserWithAccount(user: NewUser, account: NewLinkedAccount): Promise<UserRecord>;
  touch(id: string, at: Date): Promise<void>;
  /**
   * Removes the user's account at `provider` if `allowed` says the user keeps a way to sign in. Runs with
   * the user's row locked, so two unlinks at once cannot each leave the other as the last way in.
   * Returns 'unlinked', 'refused' or 'none' (nothing linked there).
   */
  unlinkIf(
    userId: string,
    provider: string,
    allowed: (remaining: { hasPassword: boolean; accounts: LinkedAccountRecord[] }) => boolean,
  ): Promise<'unlinked' | 'refused' | 'none'>;
}

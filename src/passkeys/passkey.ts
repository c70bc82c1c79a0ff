// A passkey as the domain sees it, and the store it lives in.

export interface PasskeyRecord {
  id: string;
  userId: string;
  /** The authenticator's credential id, base64url. */
  credentialId: string;
  publicKey: Uint8Array<ArrayBuffer>;
  /** The last signature counter seen. */
  counter: number;
  transports: string[];
  deviceType: string;
  backedUp: boolean;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

export type NewPasskey = Omit<PasskeyRecord, 'id' | 'createdAt' | 'lastUsedAt'>;

export type PasskeyRemoval = 'deleted' | 'missing' | 'last-way-in';

export interface PasskeyRepository {
  listByUser(userId: string): Promise<PasskeyRecord[]>;
  findByCredentialId(credentialId: string): Promise<PasskeyRecord | null>;
  /** Throws ConflictError when the credential is already registered. */
  create(passkey: NewPasskey): Promise<PasskeyRecord>;
  /**
   * Records a use, raising the counter: true only if `counter` is above the stored one (or both are 0, for
   * authenticators without a counter). A counter that does not rise is a cloned authenticator or a race.
   */
  recordUse(id: string, counter: number): Promise<boolean>;
  /** Deletes the user's passkey unless it is their last way to sign in (decided under a lock on the user). */
  delete(userId: string, id: string): Promise<PasskeyRemoval>;
}

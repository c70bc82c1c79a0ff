// A machine client as the domain sees it, and what the services need from its storage.
export interface ServiceClientRecord {
  id: string;
  name: string;
  secretHash: string;
  secretVersion: number;
  scopes: string[];
  disabled: boolean;
  createdAt: Date;
  lastUsedAt: Date | null;
}

export interface ServiceClientRepository {
  create(client: { id: string; name: string; secretHash: string; scopes: string[] }): Promise<ServiceClientRecord>;
  findById(id: string): Promise<ServiceClientRecord | null>;
  list(): Promise<ServiceClientRecord[]>;
  /** Replaces the secret and bumps its version; null when there is no such client. */
  rotateSecret(id: string, secretHash: string): Promise<ServiceClientRecord | null>;
  disable(id: string): Promise<ServiceClientRecord | null>;
  touch(id: string, at: Date): Promise<void>;
}

/**
 * Which tokens of a client are live, on the hot path (Redis, or memory in dev mode). A client's
 * state is its current secret version, or "disabled"; a token is live only while the state equals
 * the version it carries. No state (expired, or Redis lost it) refuses every token: fail closed,
 * and the next token request restores it.
 */
export interface ClientStateStore {
  /** Marks `version` live for `ttlSeconds` unless the client was disabled or rotated past it; false then. */
  activate(clientId: string, version: number, ttlSeconds: number): Promise<boolean>;
  /** After a rotation: only `version` is live from now on. */
  rotate(clientId: string, version: number, ttlSeconds: number): Promise<void>;
  disable(clientId: string, ttlSeconds: number): Promise<void>;
  isLive(clientId: string, version: number): Promise<boolean>;
}

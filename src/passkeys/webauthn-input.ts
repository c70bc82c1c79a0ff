// The shapes a client sends into passkey operations, checked before the WebAuthn library sees them.
import { BadUserInputError } from '../errors';

export const PASSKEY_NAME_MAX = 100;
const MAX_ID_LENGTH = 1400;

/** The WebAuthn user handle of a user: the 16 bytes of their UUID (no personal data, RFC-sized). */
export function userHandleOf(userId: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(userId.replace(/-/g, ''), 'hex'));
}

/** A PublicKeyCredential as JSON (what @simplewebauthn/browser or toJSON() give): refused early when it is not one. */
export function parseCeremonyResponse<T>(input: unknown): T & { id: string; response: { userHandle?: string } } {
  const value = input as { id?: unknown; rawId?: unknown; type?: unknown; response?: unknown } | null;
  const shaped =
    typeof value === 'object' &&
    value !== null &&
    typeof value.id === 'string' &&
    /^[A-Za-z0-9_-]+$/.test(value.id) &&
    value.id.length <= MAX_ID_LENGTH &&
    value.rawId === value.id &&
    value.type === 'public-key' &&
    typeof value.response === 'object' &&
    value.response !== null;
  if (!shaped) throw new BadUserInputError([{ field: 'response', message: 'must be a PublicKeyCredential as JSON (id, rawId, type "public-key", response)' }]);
  const handle = (value.response as { userHandle?: unknown }).userHandle;
  if (handle !== undefined && handle !== null && typeof handle !== 'string') {
    throw new BadUserInputError([{ field: 'response', message: 'response.userHandle must be a base64url string' }]);
  }
  return value as T & { id: string; response: { userHandle?: string } };
}

export function passkeyName(name: string | null): string {
  const trimmed = (name ?? '').trim();
  if (trimmed.length > PASSKEY_NAME_MAX) throw new BadUserInputError([{ field: 'name', message: `must be at most ${PASSKEY_NAME_MAX} characters` }]);
  if (/\p{Cc}/u.test(trimmed)) throw new BadUserInputError([{ field: 'name', message: 'must not contain control characters' }]);
  return trimmed || 'Passkey';
}

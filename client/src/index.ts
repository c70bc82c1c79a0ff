// @portcullis/client: an Apollo Client 4 link and helpers for Portcullis (see docs/clients.md).
export { createAuthClient, errorCode, mfaChallenge, type AuthClient, type AuthClientOptions, type LoginResult, type SessionInfo, type Viewer } from './auth-client.js';
export { createAuthLink, type AuthMode } from './auth-link.js';
export { AuthSession, type AuthSessionOptions, type SessionStatus, type SignedOutReason } from './auth-session.js';
export { refreshOverHttp, type RefreshOutcome, type RefreshRequest } from './refresh-request.js';
export { browserTabCoordinator, singleTabCoordinator, type BrowserTabOptions, type TabCoordinator, type TabMessage } from './tab-coordinator.js';

// The GraphQL operations of provider sign-in (SPEC §12), as the tests send them.
export { INVALID_CREDENTIALS as INVALID_CREDENTIALS_MESSAGE } from '../../src/errors';

export const SIGNED_IN_ME = /* GraphQL */ `query { me { id email name } }`;

export const LINKED_ACCOUNTS = /* GraphQL */ `
  query LinkedAccounts { linkedAccounts { provider subject email linkedAt lastUsedAt } }
`;

export const UNLINK = /* GraphQL */ `
  mutation UnlinkAccount($provider: String!) { unlinkAccount(provider: $provider) }
`;

export const SIGN_IN_WITH_ID_TOKEN = /* GraphQL */ `
  mutation SignInWithIdToken($provider: String!, $idToken: String!, $nonce: String) {
    signInWithIdToken(provider: $provider, idToken: $idToken, nonce: $nonce) { accessToken refreshToken user { id email name } }
  }
`;

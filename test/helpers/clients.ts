// Machine clients for tests: created by an admin through the API, tokens by the client-credentials grant.
import { newAdmin, type Account } from './accounts';
import type { TestServer } from './test-server';

export const CREATE_CLIENT = /* GraphQL */ `
  mutation CreateServiceClient($name: String!, $scopes: [String!]!) {
    createServiceClient(name: $name, scopes: $scopes) { clientSecret client { id name scopes disabled createdAt lastUsedAt } }
  }
`;
export const CLIENT_TOKEN = /* GraphQL */ `
  mutation ClientToken($clientId: String!, $clientSecret: String!, $scopes: [String!]) {
    clientToken(clientId: $clientId, clientSecret: $clientSecret, scopes: $scopes) { accessToken tokenType expiresIn scopes }
  }
`;

export interface TestClient {
  id: string;
  secret: string;
  scopes: string[];
}

let admin: Account | undefined;
let adminServer: TestServer | undefined;

async function anAdmin(server: TestServer): Promise<Account> {
  if (!admin || adminServer !== server) {
    admin = await newAdmin(server);
    adminServer = server;
  }
  return admin;
}

export async function newClient(server: TestServer, scopes: string[], name = 'Test client'): Promise<TestClient> {
  const response = await server.gql(CREATE_CLIENT, { name, scopes }, { token: (await anAdmin(server)).accessToken });
  if (!response.data?.createServiceClient) throw new Error(`could not create a client: ${response.text}`);
  const created = response.data.createServiceClient as { clientSecret: string; client: { id: string } };
  return { id: created.client.id, secret: created.clientSecret, scopes };
}

export async function clientTokenFor(server: TestServer, client: TestClient, scopes?: string[]): Promise<string> {
  const response = await server.gql(CLIENT_TOKEN, { clientId: client.id, clientSecret: client.secret, scopes });
  if (!response.data?.clientToken) throw new Error(`no client token: ${response.text}`);
  return (response.data.clientToken as { accessToken: string }).accessToken;
}

export async function adminToken(server: TestServer): Promise<string> {
  return (await anAdmin(server)).accessToken;
}

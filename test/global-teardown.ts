import { adminQuery } from './helpers/backends';

export default async function globalTeardown(): Promise<void> {
  const adminUrl = process.env.PORTCULLIS_TEST_ADMIN_PG;
  const template = process.env.PORTCULLIS_TEST_TEMPLATE;
  if (adminUrl && template) await adminQuery(adminUrl, `DROP DATABASE IF EXISTS "${template}" WITH (FORCE)`);
}

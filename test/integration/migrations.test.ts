// Our migration runner applies prisma/migrations the way `prisma migrate deploy` would, and the
// database it builds matches prisma/schema.prisma: a drift check that needs no native Prisma engine.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import pg from 'pg';
import { openDatabase } from '../../src/infra/database';
import { findMigrationsDir, migrate, readMigrations, type Migration } from '../../src/infra/migrate';
import { adminQuery, realPostgresUrl, withDatabase } from '../helpers/backends';
import { diffSchemas, schemaFromDatabase, schemaFromPrisma, type SchemaShape } from '../helpers/schema-drift';


const PRISMA_SCHEMA = readFileSync(path.resolve(__dirname, '../../prisma/schema.prisma'), 'utf8');
const PRISMA_MIGRATE_LOCK_KEY = 72707369;
const MIGRATIONS = readMigrations();
const MIGRATION_NAMES = MIGRATIONS.map((migration) => migration.name);

const sha256 = (content: string | Buffer): string => createHash('sha256').update(content).digest('hex');

// ---------------------------------------------------------------------------------------------
// Fixtures: brand-new, empty databases on the real server (not clones of the migrated template).
// ---------------------------------------------------------------------------------------------

const createdDatabases: string[] = [];
const openPools: pg.Pool[] = [];

async function newEmptyDatabase(): Promise<string> {
  const name = `portcullis_mig_${randomBytes(6).toString('hex')}`;
  await adminQuery(realPostgresUrl()!, `CREATE DATABASE "${name}"`);
  createdDatabases.push(name);
  return withDatabase(realPostgresUrl()!, name);
}

function poolFor(url: string): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  openPools.push(pool);
  return pool;
}

async function migrationRows(pool: pg.Pool) {
  const { rows } = await pool.query<{
    id: string; checksum: string; migration_name: string; logs: string | null; rolled_back_at: Date | null;
    started_at: Date; finished_at: Date | null; applied_steps_count: number;
  }>('SELECT * FROM "_prisma_migrations" ORDER BY migration_name');
  return rows;
}

async function lockIsFree(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ free: boolean }>('SELECT pg_try_advisory_lock($1) AS free', [PRISMA_MIGRATE_LOCK_KEY]);
    if (rows[0]!.free) await client.query('SELECT pg_advisory_unlock($1)', [PRISMA_MIGRATE_LOCK_KEY]);
    return rows[0]!.free;
  } finally {
    await client.end();
  }
}

const migration = (name: string, sql: string): Migration => ({ name, sql, checksum: sha256(sql) });

afterAll(async () => {
  await Promise.all(openPools.map((pool) => pool.end()));
  for (const name of createdDatabases) await adminQuery(realPostgresUrl()!, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
});

const onRealPostgres = realPostgresUrl() ? describe : describe.skip;

onRealPostgres('migrate() on a brand-new PostgreSQL database', () => {
  let pool: pg.Pool;
  beforeAll(async () => {
    pool = poolFor(await newEmptyDatabase());
  });

  it('applies every migration in prisma/migrations in order and records each as prisma migrate deploy would', async () => {
    expect(MIGRATION_NAMES.length).toBeGreaterThan(0);
    await expect(migrate(pool)).resolves.toEqual(MIGRATION_NAMES);

    const rows = await migrationRows(pool);
    expect(rows.map((row) => row.migration_name)).toEqual(MIGRATION_NAMES);
    for (const row of rows) {
      // The checksum is Prisma's: sha256 of the file's bytes, lower-case hex, zero-padded.
      const file = readFileSync(path.join(findMigrationsDir(), row.migration_name, 'migration.sql'));
      expect(row).toMatchObject({ checksum: sha256(file), applied_steps_count: 1, logs: null, rolled_back_at: null });
      expect(row.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.finished_at!.getTime()).toBeGreaterThanOrEqual(row.started_at.getTime());
    }
  });

  it('applies nothing and records nothing more when run again', async () => {
    const before = await migrationRows(pool);
    await expect(migrate(pool)).resolves.toEqual([]);
    expect(await migrationRows(pool)).toEqual(before);
  });

  it("creates _prisma_migrations with exactly Prisma's columns, types, nullability, defaults and primary key", async () => {
    const { rows } = await pool.query(`
      SELECT c.column_name AS column, format_type(a.atttypid, a.atttypmod) AS type,
             c.is_nullable = 'YES' AS nullable, c.column_default AS default
      FROM information_schema.columns c
      JOIN pg_attribute a ON a.attrelid = '"_prisma_migrations"'::regclass AND a.attname = c.column_name
      WHERE c.table_schema = current_schema() AND c.table_name = '_prisma_migrations'
      ORDER BY c.ordinal_position`);
    expect(rows).toEqual([
      { column: 'id', type: 'character varying(36)', nullable: false, default: null },
      { column: 'checksum', type: 'character varying(64)', nullable: false, default: null },
      { column: 'finished_at', type: 'timestamp with time zone', nullable: true, default: null },
      { column: 'migration_name', type: 'character varying(255)', nullable: false, default: null },
      { column: 'logs', type: 'text', nullable: true, default: null },
      { column: 'rolled_back_at', type: 'timestamp with time zone', nullable: true, default: null },
      { column: 'started_at', type: 'timestamp with time zone', nullable: false, default: 'now()' },
      { column: 'applied_steps_count', type: 'integer', nullable: false, default: '0' },
    ]);
    const primaryKey = await pool.query(`
      SELECT i.relname AS name, ARRAY(SELECT a.attname::text FROM pg_attribute a
             WHERE a.attrelid = x.indrelid AND a.attnum = ANY(x.indkey)) AS columns
      FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
      WHERE x.indrelid = '"_prisma_migrations"'::regclass AND x.indisprimary`);
    expect(primaryKey.rows).toEqual([{ name: '_prisma_migrations_pkey', columns: ['id'] }]);
  });
});

onRealPostgres('migrate() run by several instances at once', () => {
  it('lets two instances migrate a new database at the same moment: both succeed and each migration is applied once', async () => {
    const url = await newEmptyDatabase();
    const [first, second] = [poolFor(url), poolFor(url)];
    // Connect both first, so the two migrate() calls really race for the lock.
    await Promise.all([first.query('SELECT 1'), second.query('SELECT 1')]);

    const [appliedByFirst, appliedBySecond] = await Promise.all([migrate(first), migrate(second)]);

    expect([...appliedByFirst, ...appliedBySecond].sort()).toEqual(MIGRATION_NAMES);
    const { rows } = await first.query<{ migration_name: string; times: number }>(
      'SELECT migration_name, count(*)::int AS times FROM "_prisma_migrations" GROUP BY migration_name ORDER BY migration_name',
    );
    expect(rows).toEqual(MIGRATION_NAMES.map((name) => ({ migration_name: name, times: 1 })));
  });

  it("waits while another migrator holds prisma migrate's advisory lock, then proceeds once it is released", async () => {
    const url = await newEmptyDatabase();
    const otherMigrator = new pg.Client({ connectionString: url });
    await otherMigrator.connect();
    try {
      await otherMigrator.query('SELECT pg_advisory_lock($1)', [PRISMA_MIGRATE_LOCK_KEY]);
      let settled = false;
      const outcome = migrate(poolFor(url)).then(
        (applied) => ({ applied }),
        (error: unknown) => ({ error }),
      ).finally(() => { settled = true; });

      await delay(500);
      expect(settled).toBe(false);
      const table = await otherMigrator.query<{ exists: string | null }>(`SELECT to_regclass('"_prisma_migrations"')::text AS exists`);
      expect(table.rows[0]!.exists).toBeNull();

      await otherMigrator.query('SELECT pg_advisory_unlock($1)', [PRISMA_MIGRATE_LOCK_KEY]);
      await expect(outcome).resolves.toEqual({ applied: MIGRATION_NAMES });
    } finally {
      await otherMigrator.end();
    }
  });
});

onRealPostgres('migrate() refusing unsafe states', () => {
  it('throws a clear error, applies nothing further and releases the lock when an applied migration was edited afterwards', async () => {
    const url = await newEmptyDatabase();
    const pool = poolFor(url);
    await migrate(pool);
    const edited = MIGRATION_NAMES[0]!;
    await pool.query('UPDATE "_prisma_migrations" SET checksum = $1 WHERE migration_name = $2', ['0'.repeat(64), edited]);
    const later = migration('29991231000000_later', 'CREATE TABLE "later" (id INT)');

    await expect(migrate(pool, [...MIGRATIONS, later])).rejects.toThrow(
      `migration ${edited} was edited after it was applied (checksum differs)`,
    );

    const { rows } = await pool.query(`SELECT to_regclass('"later"')::text AS later_table`);
    expect(rows[0]).toEqual({ later_table: null });
    expect((await migrationRows(pool)).map((row) => row.migration_name)).toEqual(MIGRATION_NAMES);
    expect(await lockIsFree(url)).toBe(true);
  });

  it('rolls a failing migration back completely, records nothing for it, and keeps the migrations before it', async () => {
    const url = await newEmptyDatabase();
    const pool = poolFor(url);
    const broken = migration(
      '29991231000000_broken',
      'CREATE TABLE "half_applied" (id INT);\nALTER TABLE "users" ADD COLUMN "nickname" TEXT;\nSELECT * FROM "no_such_table";\n',
    );

    await expect(migrate(pool, [...MIGRATIONS, broken])).rejects.toThrow(
      /^migration 29991231000000_broken failed: relation "no_such_table" does not exist$/,
    );

    const { rows } = await pool.query(`
      SELECT to_regclass('"half_applied"')::text AS half_applied,
             EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'nickname') AS nickname`);
    expect(rows[0]).toEqual({ half_applied: null, nickname: false });
    expect((await migrationRows(pool)).map((row) => row.migration_name)).toEqual(MIGRATION_NAMES);
    expect(await lockIsFree(url)).toBe(true);
    // Nothing is left half-done: the good migrations stay applied and the run can be repeated.
    await expect(migrate(pool)).resolves.toEqual([]);
  });
});

onRealPostgres('the migrated PostgreSQL database against prisma/schema.prisma (drift)', () => {
  let database: SchemaShape;
  beforeAll(async () => {
    const pool = poolFor(await newEmptyDatabase());
    await migrate(pool);
    database = await schemaFromDatabase(pool);
  });

  it('has exactly the tables, columns, types, nullability, defaults, enums and indexes schema.prisma describes', () => {
    expect(diffSchemas(schemaFromPrisma(PRISMA_SCHEMA), database)).toEqual([]);
  });

  it('derives native types, mapped names, defaults and index names from schema.prisma itself', () => {
    // A spot check of the derivation, so an empty or wrong expectation cannot pass the test above.
    const users = schemaFromPrisma(PRISMA_SCHEMA).tables.get('users');
    expect(users?.get('id')).toEqual({ type: 'uuid', nullable: false, default: null });
    expect(users?.get('email')).toEqual({ type: 'character varying(254)', nullable: false, default: null });
    expect(users?.get('created_at')).toEqual({ type: 'timestamp(3) with time zone', nullable: false, default: 'now()' });
    expect(users?.get('role')).toEqual({ type: 'enum Role', nullable: false, default: 'USER' });
    expect(schemaFromPrisma(PRISMA_SCHEMA).indexes).toEqual(
      expect.arrayContaining([
        { table: 'users', name: 'users_pkey', kind: 'primary key', columns: ['id'] },
        { table: 'users', name: 'users_email_key', kind: 'unique index', columns: ['email'] },
      ]),
    );
  });

  const edits: [string, (schema: string) => string, string][] = [
    ['a new field', (s) => s.replace(/(\n\s+role\s)/, '\n  phone String? @db.VarChar(32)$1'),
      'column users.phone: in schema.prisma, missing from the database'],
    ['a removed field', (s) => s.replace(/\n\s+passwordHash .*/, ''),
      'column users.password_hash: in the database, not in schema.prisma'],
    ['a longer VarChar', (s) => s.replace('@db.VarChar(254)', '@db.VarChar(320)'),
      'column users.email: database type character varying(254), schema.prisma says character varying(320)'],
    ['another timestamp precision', (s) => s.replace(/(createdAt .*)@db\.Timestamptz\(3\)/, '$1@db.Timestamptz(6)'),
      'column users.created_at: database type timestamp(3) with time zone, schema.prisma says timestamp(6) with time zone'],
    ['an optional field', (s) => s.replace(/(\n\s+name\s+)String /, '$1String? '),
      'column users.name: database is NOT NULL, schema.prisma says optional'],
    ['another default', (s) => s.replace('@default(true)', '@default(false)'),
      'column users.active: database default true, schema.prisma says false'],
    ['a new enum value', (s) => s.replace(/(\n\s+ADMIN)/, '$1\n  MODERATOR'),
      'enum Role: database has [USER, ADMIN], schema.prisma has [USER, ADMIN, MODERATOR]'],
    ['a new unique field', (s) => s.replace(/(\n\s+name\s+String)/, '$1 @unique'),
      'unique index users_name_key on users(name): in schema.prisma, missing from the database'],
    ['a new model', (s) => `${s}\nmodel AuditEvent {\n  id Int @id @default(autoincrement())\n}\n`,
      'table AuditEvent: in schema.prisma, missing from the database'],
  ];

  it.each(edits)('reports %s in schema.prisma that no migration applied', (_edit, change, difference) => {
    const edited = change(PRISMA_SCHEMA);
    expect(edited).not.toBe(PRISMA_SCHEMA);
    expect(diffSchemas(schemaFromPrisma(edited), database)).toContain(difference);
  });
});

onRealPostgres('the drift check on a richer schema than ours', () => {
  // What `prisma migrate diff` emits for RICH_SCHEMA, so the comparison is proven on the features
  // (relations, composite keys, mapped enums, lists, serials) our schema will grow into.
  const RICH_SCHEMA = `
datasource db {
  provider = "postgresql"
}

enum Plan {
  FREE
  PRO @map("pro")

  @@map("plans")
}

model Team {
  id        Int      @id @default(autoincrement())
  slug      String   @unique(map: "team_slug_uq") @db.VarChar(40)
  plan      Plan     @default(PRO)
  tags      String[] @default([])
  budget    Decimal? @db.Decimal(10, 2)
  ratio     Float    @default(1.0)
  settings  Json     @default("{}")
  createdAt DateTime @default(now()) @map("created_at")
  members   Member[]

  @@map("teams")
}

model Member {
  teamId  Int     @map("team_id")
  userRef String  @default(dbgenerated("gen_random_uuid()")) @map("user_ref") @db.Uuid
  nick    String?
  team    Team    @relation(fields: [teamId], references: [id], onDelete: Cascade)

  @@id([teamId, userRef])
  @@unique([teamId, nick])
  @@index([userRef])
  @@map("members")
}
`;
  const RICH_SQL = `
CREATE TYPE "plans" AS ENUM ('FREE', 'pro');
CREATE TABLE "teams" (
    "id" SERIAL NOT NULL,
    "slug" VARCHAR(40) NOT NULL,
    "plan" "plans" NOT NULL DEFAULT 'pro',
    "tags" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "budget" DECIMAL(10,2),
    "ratio" DOUBLE PRECISION NOT NULL DEFAULT 1.0,
    "settings" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "teams_pkey" PRIMARY KEY ("id")
);
CREATE TABLE "members" (
    "team_id" INTEGER NOT NULL,
    "user_ref" UUID NOT NULL DEFAULT gen_random_uuid(),
    "nick" TEXT,
    CONSTRAINT "members_pkey" PRIMARY KEY ("team_id","user_ref")
);
CREATE UNIQUE INDEX "team_slug_uq" ON "teams"("slug");
CREATE INDEX "members_user_ref_idx" ON "members"("user_ref");
CREATE UNIQUE INDEX "members_team_id_nick_key" ON "members"("team_id", "nick");
ALTER TABLE "members" ADD CONSTRAINT "members_team_id_fkey" FOREIGN KEY ("team_id") REFERENCES "teams"("id") ON DELETE CASCADE ON UPDATE CASCADE;
`;
  let pool: pg.Pool;
  beforeAll(async () => {
    pool = poolFor(await newEmptyDatabase());
    await migrate(pool, [migration('20260101000000_rich', RICH_SQL)]);
  });

  it('finds no difference when the database is what prisma migrate would have built', async () => {
    expect(diffSchemas(schemaFromPrisma(RICH_SCHEMA), await schemaFromDatabase(pool))).toEqual([]);
  });

  it('reports a foreign key whose ON DELETE action differs from the relation', async () => {
    const restricting = RICH_SCHEMA.replace('onDelete: Cascade', 'onDelete: Restrict');
    expect(diffSchemas(schemaFromPrisma(restricting), await schemaFromDatabase(pool))).toEqual([
      'foreign key members(team_id) → teams(id) ON DELETE Cascade ON UPDATE Cascade: in the database, not in schema.prisma',
      'foreign key members(team_id) → teams(id) ON DELETE Restrict ON UPDATE Cascade: in schema.prisma, missing from the database',
    ]);
  });
});

// PGlite is PostgreSQL compiled to WebAssembly: a first start plus every migration takes seconds alone
// and far longer when the machine is busy (over 30 s seen with other suites running), so these get more.
const EMBEDDED_TIMEOUT_MS = 120_000;

describe('migrate() on the embedded PGlite database', () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'portcullis-migrations-'));
  });
  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('applies every migration to a new embedded database, records each, and matches schema.prisma', async () => {
    const database = await openDatabase({ url: undefined, dataDir });
    try {
      expect(database.kind).toBe('embedded');
      await expect(migrate(database.pool)).resolves.toEqual(MIGRATION_NAMES);
      const rows = await migrationRows(database.pool);
      expect(rows.map(({ migration_name, checksum, applied_steps_count }) => ({ migration_name, checksum, applied_steps_count }))).toEqual(
        MIGRATIONS.map((m) => ({ migration_name: m.name, checksum: m.checksum, applied_steps_count: 1 })),
      );
      expect(rows.every((row) => row.finished_at instanceof Date)).toBe(true);
      expect(diffSchemas(schemaFromPrisma(PRISMA_SCHEMA), await schemaFromDatabase(database.pool))).toEqual([]);
    } finally {
      await database.close();
    }
  }, EMBEDDED_TIMEOUT_MS);

  it('applies nothing after the same data directory is closed and reopened, and still matches schema.prisma', async () => {
    const reopened = await openDatabase({ url: undefined, dataDir });
    try {
      await expect(migrate(reopened.pool)).resolves.toEqual([]);
      expect((await migrationRows(reopened.pool)).map((row) => row.migration_name)).toEqual(MIGRATION_NAMES);
      expect(diffSchemas(schemaFromPrisma(PRISMA_SCHEMA), await schemaFromDatabase(reopened.pool))).toEqual([]);
    } finally {
      await reopened.close();
    }
  }, EMBEDDED_TIMEOUT_MS);
});

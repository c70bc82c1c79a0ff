// Drift check: the database `prisma migrate` would build from prisma/schema.prisma, against the one
// our migrations built. Both sides are reduced to the same shape, then compared.
import { get_dmmf } from '@prisma/prisma-schema-wasm';
import type pg from 'pg';

// ---------------------------------------------------------------------------------------------
// Drift check. Both sides are reduced to the same shape, then compared:
//   - schemaFromPrisma(text): what `prisma migrate` would create, derived from the DMMF that
//     Prisma's own schema parser (the prisma-schema wasm of our prisma version) returns;
//   - schemaFromDatabase(pool): what the database holds, from information_schema and pg_catalog.
// Covered: tables, columns (type with native type, nullability, default), enums and their value
// order, primary keys, unique and plain indexes (name and columns), foreign keys (columns, target,
// actions). Not covered: index methods and sort orders, check constraints, other schemas than the
// current one. Prisma features it does not understand throw, so they cannot pass unnoticed.
// ---------------------------------------------------------------------------------------------

interface ColumnShape {
  type: string;
  nullable: boolean;
  /** Normalised: 'now()', 'autoincrement()', or the literal/expression without its cast. */
  default: string | null;
}
interface IndexShape {
  table: string;
  name: string;
  kind: 'primary key' | 'unique index' | 'index';
  columns: string[];
}
interface ForeignKeyShape {
  table: string;
  columns: string[];
  referencedTable: string;
  referencedColumns: string[];
  onDelete: string;
  onUpdate: string;
}
export interface SchemaShape {
  tables: Map<string, Map<string, ColumnShape>>;
  enums: Map<string, string[]>;
  indexes: IndexShape[];
  foreignKeys: ForeignKeyShape[];
}

interface DmmfField {
  name: string;
  dbName?: string | null;
  kind: 'scalar' | 'enum' | 'object' | 'unsupported';
  type: string;
  isList: boolean;
  isRequired: boolean;
  nativeType?: [string, string[]] | null;
  default?: unknown;
  relationFromFields?: string[];
  relationToFields?: string[];
  relationOnDelete?: string;
  relationOnUpdate?: string;
}
interface DmmfModel {
  name: string;
  dbName: string | null;
  schema?: string | null;
  fields: DmmfField[];
}
interface DmmfEnum {
  name: string;
  dbName?: string | null;
  values: { name: string; dbName: string | null }[];
}
interface DmmfIndex {
  model: string;
  type: 'id' | 'unique' | 'normal' | 'fulltext';
  dbName?: string | null;
  fields: { name: string }[];
}
interface Dmmf {
  datamodel: { models: DmmfModel[]; enums: DmmfEnum[]; indexes: DmmfIndex[] };
}

/** Column types `prisma migrate` uses on PostgreSQL for fields without a native type. */
const DEFAULT_COLUMN_TYPES: Record<string, string> = {
  String: 'text',
  Boolean: 'boolean',
  Int: 'integer',
  BigInt: 'bigint',
  Float: 'double precision',
  Decimal: 'numeric(65,30)',
  DateTime: 'timestamp(3) without time zone',
  Json: 'jsonb',
  Bytes: 'bytea',
};

/** `@db.X(args)` → the type as PostgreSQL's format_type() prints it. */
function nativeColumnType([name, args]: [string, string[]]): string {
  const params = args.length > 0 ? `(${args.join(',')})` : '';
  const simple: Record<string, string> = {
    Text: 'text', Uuid: 'uuid', Xml: 'xml', Json: 'json', JsonB: 'jsonb', Inet: 'inet', Citext: 'citext',
    Money: 'money', Oid: 'oid', Integer: 'integer', SmallInt: 'smallint', BigInt: 'bigint', Real: 'real',
    DoublePrecision: 'double precision', Boolean: 'boolean', ByteA: 'bytea', Date: 'date',
  };
  if (simple[name]) return simple[name];
  switch (name) {
    case 'VarChar': return `character varying${params}`;
    case 'Char': return `character${params}`;
    case 'Bit': return `bit${params}`;
    case 'VarBit': return `bit varying${params}`;
    case 'Decimal': return `numeric${params}`;
    case 'Timestamp': return `timestamp${params} without time zone`;
    case 'Timestamptz': return `timestamp${params} with time zone`;
    case 'Time': return `time${params} without time zone`;
    case 'Timetz': return `time${params} with time zone`;
    default: throw new Error(`drift check: native type @db.${name} is not mapped yet; add it to nativeColumnType()`);
  }
}

/** Prisma's default constraint names on PostgreSQL (63-byte identifiers). */
function defaultIndexName(table: string, columns: string[], kind: IndexShape['kind']): string {
  const suffix = kind === 'primary key' ? 'pkey' : kind === 'unique index' ? 'key' : 'idx';
  const base = kind === 'primary key' ? table : [table, ...columns].join('_');
  return `${base.slice(0, 63 - suffix.length - 1)}_${suffix}`;
}

export function schemaFromPrisma(prismaSchema: string): SchemaShape {
  const dmmf = JSON.parse(get_dmmf(JSON.stringify({ prismaSchema }))) as Dmmf;
  const { models, enums: dmmfEnums, indexes: dmmfIndexes } = dmmf.datamodel;
  const tableOf = (model: DmmfModel): string => model.dbName ?? model.name;
  const columnOf = (field: DmmfField): string => field.dbName ?? field.name;
  const modelNamed = (name: string): DmmfModel => {
    const model = models.find((candidate) => candidate.name === name);
    if (!model) throw new Error(`drift check: no model ${name}`);
    return model;
  };
  const fieldOf = (model: DmmfModel, name: string): DmmfField => {
    const field = model.fields.find((candidate) => candidate.name === name);
    if (!field) throw new Error(`drift check: no field ${model.name}.${name}`);
    return field;
  };

  const enums = new Map(dmmfEnums.map((e) => [e.dbName ?? e.name, e.values.map((value) => value.dbName ?? value.name)]));
  const enumValueInDb = (enumName: string, value: string): string => {
    const dmmfEnum = dmmfEnums.find((e) => e.name === enumName);
    return dmmfEnum?.values.find((v) => v.name === value)?.dbName ?? value;
  };

  const tables = new Map<string, Map<string, ColumnShape>>();
  const foreignKeys: ForeignKeyShape[] = [];
  for (const model of models) {
    if (model.schema) throw new Error(`drift check: model ${model.name} lives in schema ${model.schema}; only the current schema is read`);
    const columns = new Map<string, ColumnShape>();
    for (const field of model.fields) {
      const where = `${model.name}.${field.name}`;
      if (field.kind === 'unsupported') throw new Error(`drift check: ${where} has an Unsupported() type`);
      if (field.kind === 'object') {
        if (field.relationFromFields?.length) {
          const target = modelNamed(field.type);
          const from = field.relationFromFields.map((name) => fieldOf(model, name));
          foreignKeys.push({
            table: tableOf(model),
            columns: from.map(columnOf),
            referencedTable: tableOf(target),
            referencedColumns: (field.relationToFields ?? []).map((name) => columnOf(fieldOf(target, name))),
            onDelete: field.relationOnDelete ?? (from.every((f) => f.isRequired) ? 'Restrict' : 'SetNull'),
            onUpdate: field.relationOnUpdate ?? 'Cascade',
          });
        }
        continue;
      }
      let type: string;
      if (field.kind === 'enum') {
        const dmmfEnum = dmmfEnums.find((e) => e.name === field.type);
        type = `enum ${dmmfEnum?.dbName ?? field.type}`;
      } else if (field.nativeType) {
        type = nativeColumnType(field.nativeType);
      } else {
        const mapped = DEFAULT_COLUMN_TYPES[field.type];
        if (!mapped) throw new Error(`drift check: ${where} has type ${field.type}, which is not mapped yet`);
        type = mapped;
      }
      columns.set(columnOf(field), {
        type: field.isList ? `${type}[]` : type,
        // Prisma creates list columns without NOT NULL.
        nullable: !field.isRequired || field.isList,
        default: expectedDefault(field, where, enumValueInDb),
      });
    }
    tables.set(tableOf(model), columns);
  }

  const indexes = dmmfIndexes.map((index): IndexShape => {
    const model = modelNamed(index.model);
    const kinds = { id: 'primary key', unique: 'unique index', normal: 'index' } as const;
    if (index.type === 'fulltext') throw new Error(`drift check: fulltext index on ${model.name} is not supported on PostgreSQL`);
    const kind = kinds[index.type];
    const columns = index.fields.map((f) => columnOf(fieldOf(model, f.name)));
    const table = tableOf(model);
    return { table, name: index.dbName ?? defaultIndexName(table, columns, kind), kind, columns };
  });

  return { tables, enums, indexes, foreignKeys };
}

function expectedDefault(field: DmmfField, where: string, enumValueInDb: (e: string, v: string) => string): string | null {
  const value = field.default;
  if (value === undefined || value === null) return null;
  if (Array.isArray(value)) {
    if (value.length === 0) return 'ARRAY[]';
    throw new Error(`drift check: ${where} has a non-empty list default, which is not compared yet`);
  }
  if (typeof value === 'object') {
    const { name, args } = value as { name: string; args: unknown[] };
    switch (name) {
      case 'now': return 'now()';
      case 'autoincrement': return 'autoincrement()';
      // Generated by Prisma Client, not by the database.
      case 'uuid': case 'cuid': case 'nanoid': case 'ulid': return null;
      case 'dbgenerated': return typeof args[0] === 'string' ? normaliseExpression(args[0]) : null;
      default: throw new Error(`drift check: ${where} has default ${name}(), which is not understood yet`);
    }
  }
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
    throw new Error(`drift check: ${where} has a default of type ${typeof value}, which is not understood yet`);
  }
  if (field.kind === 'enum') return enumValueInDb(field.type, String(value));
  return normaliseExpression(String(value));
}

/** Makes a column default comparable: casts, quotes and spellings of the same value removed. */
function normaliseExpression(expression: string): string {
  if (/^nextval\(/.test(expression)) return 'autoincrement()';
  if (expression === 'CURRENT_TIMESTAMP' || expression === 'now()') return 'now()';
  const literal = /^'((?:[^']|'')*)'(?:::.+)?$/s.exec(expression);
  const bare = literal ? literal[1]!.replaceAll("''", "'") : expression.replace(/::[\w\s".()[\]]+$/, '');
  return /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(bare) ? String(Number(bare)) : bare;
}

const FK_ACTIONS: Record<string, string> = { a: 'NoAction', r: 'Restrict', c: 'Cascade', n: 'SetNull', d: 'SetDefault' };

export async function schemaFromDatabase(pool: pg.Pool): Promise<SchemaShape> {
  const enumRows = await pool.query<{ name: string; value: string }>(`
    SELECT t.typname AS name, e.enumlabel AS value
    FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid JOIN pg_namespace n ON n.oid = t.typnamespace
    WHERE n.nspname = current_schema()
    ORDER BY t.typname, e.enumsortorder`);
  const enums = new Map<string, string[]>();
  for (const row of enumRows.rows) enums.set(row.name, [...(enums.get(row.name) ?? []), row.value]);

  const columnRows = await pool.query<{
    table_name: string; column_name: string; is_nullable: 'YES' | 'NO'; column_default: string | null;
    data_type: string; udt_name: string; formatted: string;
  }>(`
    SELECT c.table_name, c.column_name, c.is_nullable, c.column_default, c.data_type, c.udt_name,
           format_type(a.atttypid, a.atttypmod) AS formatted
    FROM information_schema.columns c
    JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
    JOIN pg_attribute a ON a.attrelid = format('%I.%I', c.table_schema, c.table_name)::regclass AND a.attname = c.column_name
    WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' AND c.table_name <> '_prisma_migrations'
    ORDER BY c.table_name, c.ordinal_position`);
  const tables = new Map<string, Map<string, ColumnShape>>();
  for (const row of columnRows.rows) {
    let type = row.formatted;
    if (row.data_type === 'USER-DEFINED' && enums.has(row.udt_name)) type = `enum ${row.udt_name}`;
    if (row.data_type === 'ARRAY' && enums.has(row.udt_name.slice(1))) type = `enum ${row.udt_name.slice(1)}[]`;
    const columns = tables.get(row.table_name) ?? new Map<string, ColumnShape>();
    columns.set(row.column_name, {
      type,
      nullable: row.is_nullable === 'YES',
      default: row.column_default === null ? null : normaliseExpression(row.column_default),
    });
    tables.set(row.table_name, columns);
  }

  const indexRows = await pool.query<{ table_name: string; index_name: string; is_primary: boolean; is_unique: boolean; columns: string[] }>(`
    SELECT t.relname AS table_name, i.relname AS index_name, x.indisprimary AS is_primary, x.indisunique AS is_unique,
           ARRAY(SELECT a.attname::text FROM unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
                 JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.ord) AS columns
    FROM pg_index x
    JOIN pg_class i ON i.oid = x.indexrelid
    JOIN pg_class t ON t.oid = x.indrelid
    JOIN pg_namespace n ON n.oid = t.relnamespace
    WHERE n.nspname = current_schema() AND t.relkind = 'r' AND t.relname <> '_prisma_migrations'`);
  const indexes = indexRows.rows.map((row): IndexShape => ({
    table: row.table_name,
    name: row.index_name,
    kind: row.is_primary ? 'primary key' : row.is_unique ? 'unique index' : 'index',
    columns: row.columns,
  }));

  const fkRows = await pool.query<{
    table_name: string; referenced_table: string; columns: string[]; referenced_columns: string[]; on_delete: string; on_update: string;
  }>(`
    SELECT cl.relname AS table_name, ref.relname AS referenced_table,
           ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
                 JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.ord) AS columns,
           ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, ord)
                 JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum ORDER BY k.ord) AS referenced_columns,
           con.confdeltype::text AS on_delete, con.confupdtype::text AS on_update
    FROM pg_constraint con
    JOIN pg_class cl ON cl.oid = con.conrelid
    JOIN pg_class ref ON ref.oid = con.confrelid
    JOIN pg_namespace n ON n.oid = cl.relnamespace
    WHERE con.contype = 'f' AND n.nspname = current_schema()`);
  const foreignKeys = fkRows.rows.map((row): ForeignKeyShape => ({
    table: row.table_name,
    columns: row.columns,
    referencedTable: row.referenced_table,
    referencedColumns: row.referenced_columns,
    onDelete: FK_ACTIONS[row.on_delete] ?? row.on_delete,
    onUpdate: FK_ACTIONS[row.on_update] ?? row.on_update,
  }));

  return { tables, enums, indexes, foreignKeys };
}

/** Every way the database differs from the schema, one readable line each; empty when they agree. */
export function diffSchemas(schema: SchemaShape, database: SchemaShape): string[] {
  const differences: string[] = [];
  const union = <T>(a: Iterable<T>, b: Iterable<T>): T[] => [...new Set([...a, ...b])].sort();

  for (const name of union(schema.enums.keys(), database.enums.keys())) {
    const want = schema.enums.get(name);
    const have = database.enums.get(name);
    if (!have) differences.push(`enum ${name}: in schema.prisma, missing from the database`);
    else if (!want) differences.push(`enum ${name}: in the database, not in schema.prisma`);
    else if (want.join() !== have.join()) differences.push(`enum ${name}: database has [${have.join(', ')}], schema.prisma has [${want.join(', ')}]`);
  }

  for (const table of union(schema.tables.keys(), database.tables.keys())) {
    const want = schema.tables.get(table);
    const have = database.tables.get(table);
    if (!have) { differences.push(`table ${table}: in schema.prisma, missing from the database`); continue; }
    if (!want) { differences.push(`table ${table}: in the database, not in schema.prisma`); continue; }
    for (const column of union(want.keys(), have.keys())) {
      const w = want.get(column);
      const h = have.get(column);
      const at = `column ${table}.${column}`;
      if (!h) { differences.push(`${at}: in schema.prisma, missing from the database`); continue; }
      if (!w) { differences.push(`${at}: in the database, not in schema.prisma`); continue; }
      if (w.type !== h.type) differences.push(`${at}: database type ${h.type}, schema.prisma says ${w.type}`);
      if (w.nullable !== h.nullable) differences.push(`${at}: database is ${h.nullable ? 'nullable' : 'NOT NULL'}, schema.prisma says ${w.nullable ? 'optional' : 'required'}`);
      if (w.default !== h.default) differences.push(`${at}: database default ${h.default ?? '(none)'}, schema.prisma says ${w.default ?? '(none)'}`);
    }
  }

  const describeIndex = (index: IndexShape): string => `${index.kind} ${index.name} on ${index.table}(${index.columns.join(', ')})`;
  const wantIndexes = new Set(schema.indexes.map(describeIndex));
  const haveIndexes = new Set(database.indexes.map(describeIndex));
  for (const index of union(wantIndexes, haveIndexes)) {
    if (!haveIndexes.has(index)) differences.push(`${index}: in schema.prisma, missing from the database`);
    if (!wantIndexes.has(index)) differences.push(`${index}: in the database, not in schema.prisma`);
  }

  const describeKey = (fk: ForeignKeyShape): string =>
    `foreign key ${fk.table}(${fk.columns.join(', ')}) → ${fk.referencedTable}(${fk.referencedColumns.join(', ')}) ` +
    `ON DELETE ${fk.onDelete} ON UPDATE ${fk.onUpdate}`;
  const wantKeys = new Set(schema.foreignKeys.map(describeKey));
  const haveKeys = new Set(database.foreignKeys.map(describeKey));
  for (const key of union(wantKeys, haveKeys)) {
    if (!haveKeys.has(key)) differences.push(`${key}: in schema.prisma, missing from the database`);
    if (!wantKeys.has(key)) differences.push(`${key}: in the database, not in schema.prisma`);
  }
  return differences;
}


/**
 * The store's SQL schema, the same four tables on both backends (docs/format.md, "Audit log", "Storage").
 *
 * - `log_state`: the single sequencer row (id = 1): the tree size, the origin and the log key it was created for.
 *   Every write transaction locks it first, which is what keeps two writers from forking the tree.
 * - `entries`: one row per leaf, its bytes and RFC 9162 leaf hash.
 * - `subtrees`: the hash of every complete subtree (level 0 = leaf hashes), so a proof is O(log n) key lookups.
 * - `checkpoints`: the signed notes the log has issued, by tree size.
 *
 * @module
 */

/** Bumped when the tables change incompatibly; a store of another version is refused. */
export const SCHEMA_VERSION = 1

/** DDL for SQLite (idempotent). */
export function sqliteSchema(): string {
  return `
CREATE TABLE IF NOT EXISTS log_state (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  size INTEGER NOT NULL CHECK (size >= 0),
  origin TEXT NOT NULL,
  log_key TEXT NOT NULL,
  version INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS entries (
  idx INTEGER PRIMARY KEY CHECK (idx >= 0),
  bytes BLOB NOT NULL,
  leaf_hash BLOB NOT NULL CHECK (length(leaf_hash) = 32)
);
CREATE TABLE IF NOT EXISTS subtrees (
  level INTEGER NOT NULL CHECK (level BETWEEN 0 AND 53),
  idx INTEGER NOT NULL CHECK (idx >= 0),
  hash BLOB NOT NULL CHECK (length(hash) = 32),
  PRIMARY KEY (level, idx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS checkpoints (
  size INTEGER PRIMARY KEY CHECK (size >= 0),
  note TEXT NOT NULL
);
`
}

/** DDL for PostgreSQL inside `schema` (a validated identifier; idempotent). */
export function postgresSchema(schema: string): string {
  return `
CREATE SCHEMA IF NOT EXISTS ${schema};
CREATE TABLE IF NOT EXISTS ${schema}.log_state (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  size BIGINT NOT NULL CHECK (size >= 0),
  origin TEXT NOT NULL,
  log_key TEXT NOT NULL,
  version INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS ${schema}.entries (
  idx BIGINT PRIMARY KEY CHECK (idx >= 0),
  bytes BYTEA NOT NULL,
  leaf_hash BYTEA NOT NULL CHECK (length(leaf_hash) = 32)
);
CREATE TABLE IF NOT EXISTS ${schema}.subtrees (
  level SMALLINT NOT NULL CHECK (level BETWEEN 0 AND 53),
  idx BIGINT NOT NULL CHECK (idx >= 0),
  hash BYTEA NOT NULL CHECK (length(hash) = 32),
  PRIMARY KEY (level, idx)
);
CREATE TABLE IF NOT EXISTS ${schema}.checkpoints (
  size BIGINT PRIMARY KEY CHECK (size >= 0),
  note TEXT NOT NULL
);
`
}

/** PostgreSQL schema names accepted: plain lower-case identifiers, so they can be interpolated unquoted. */
export const PG_SCHEMA_RE = /^[a-z_][a-z0-9_]{0,62}$/

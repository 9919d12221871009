import { FIELDS, type FieldType } from '../fields/catalog.js';

/**
 * The `flows` table: every catalog field under its snake_case name with its real type,
 * both times as TIMESTAMP, provenance, and the enrichment columns (added as they appear).
 */

export type SqlType = 'INTEGER' | 'BIGINT' | 'DOUBLE' | 'VARCHAR' | 'VARCHAR[]' | 'TIMESTAMP';

export interface StoreColumn {
  readonly name: string;
  readonly type: SqlType;
}

export const FLOWS_TABLE = 'flows';

const FIELD_SQL_TYPE: Record<FieldType, SqlType> = { int32: 'INTEGER', int64: 'BIGINT', string: 'VARCHAR' };

/** Columns the store fills itself, beside the record fields. */
export const META_COLUMNS: readonly StoreColumn[] = [
  { name: 'start_time', type: 'TIMESTAMP' },
  { name: 'end_time', type: 'TIMESTAMP' },
  { name: 'record_uid', type: 'VARCHAR' },
  { name: 'source', type: 'VARCHAR' },
  { name: 'position', type: 'BIGINT' },
  { name: 'ingested_at', type: 'TIMESTAMP' },
];

/** Types of the enrichment columns flowlens knows; any other enrichment gets a type from its kind. */
export const ENRICHMENT_TYPES: Readonly<Record<string, SqlType>> = {
  protocol_name: 'VARCHAR',
  tcp_flag_names: 'VARCHAR[]',
  flow_class: 'VARCHAR',
  src_country: 'VARCHAR',
  dst_country: 'VARCHAR',
  src_city: 'VARCHAR',
  dst_city: 'VARCHAR',
  src_asn: 'BIGINT',
  dst_asn: 'BIGINT',
  src_as_org: 'VARCHAR',
  dst_as_org: 'VARCHAR',
  community_id: 'VARCHAR',
  record_uid: 'VARCHAR',
};

export const FIELD_COLUMNS: readonly StoreColumn[] = FIELDS.map((f) => ({
  name: f.column,
  type: FIELD_SQL_TYPE[f.type],
}));

/** The columns every `flows` table starts with. */
export const BASE_COLUMNS: readonly StoreColumn[] = [...FIELD_COLUMNS, ...META_COLUMNS];

export const quoteIdent = (name: string): string => `"${name.replaceAll('"', '""')}"`;
export const quoteText = (text: string): string => `'${text.replaceAll("'", "''")}'`;

export function createFlowsSql(): string {
  const cols = BASE_COLUMNS.map((c) => `  ${quoteIdent(c.name)} ${c.type}`).join(',\n');
  return `CREATE TABLE IF NOT EXISTS ${FLOWS_TABLE} (\n${cols}\n)`;
}

/**
 * SQL macros created in every store so addresses compare as IPs without the `inet` extension
 * (which needs a download): IPv4 text → integer, CIDR membership, private ranges.
 */
export const MACROS_SQL: readonly string[] = [
  `CREATE OR REPLACE MACRO ipv4_int(addr) AS (
    CASE WHEN regexp_full_match(addr, '\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}') THEN
      CAST(split_part(addr, '.', 1) AS UBIGINT) * 16777216 + CAST(split_part(addr, '.', 2) AS UBIGINT) * 65536
      + CAST(split_part(addr, '.', 3) AS UBIGINT) * 256 + CAST(split_part(addr, '.', 4) AS UBIGINT)
    END)`,
  `CREATE OR REPLACE MACRO ip_in_cidr(addr, cidr) AS (
    ipv4_int(addr) // CAST(pow(2, 32 - CAST(split_part(cidr, '/', 2) AS INTEGER)) AS UBIGINT)
      = ipv4_int(split_part(cidr, '/', 1)) // CAST(pow(2, 32 - CAST(split_part(cidr, '/', 2) AS INTEGER)) AS UBIGINT))`,
  `CREATE OR REPLACE MACRO is_private_ip(addr) AS (
    ip_in_cidr(addr, '10.0.0.0/8') OR ip_in_cidr(addr, '172.16.0.0/12') OR ip_in_cidr(addr, '192.168.0.0/16')
    OR ip_in_cidr(addr, '100.64.0.0/10') OR ip_in_cidr(addr, '127.0.0.0/8') OR ip_in_cidr(addr, '169.254.0.0/16')
    OR lower(addr) LIKE 'fc%' OR lower(addr) LIKE 'fd%' OR lower(addr) LIKE 'fe80:%' OR addr = '::1')`,
];

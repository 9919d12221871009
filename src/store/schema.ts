import { FIELDS, type FieldType } from '../fields/catalog.js';
import { decodeSql, isCodedColumn } from './coded.js';
import { CID_COLUMN, CID_HI, CID_LO, communityIdSql } from './community-id.js';
import {
  DIM_BY_CODE_COLUMN,
  DIM_BY_FIELD,
  DIM_COLUMNS,
  DIM_TABLES,
  type DimColumn,
  dimListsSql,
  dimValueSql,
  SOURCES,
  usesDimLists,
} from './dim-tables.js';
import {
  PACKED_COLUMN,
  PACKED_FIELDS,
  PACKED_MARK,
  packedIndex,
  packedKey,
  packedValueSql,
} from './packed.js';

/**
 * `flows`, what users query: every catalog field under its snake_case name with its real type,
 * both times as TIMESTAMP, provenance, `record_uid`, and the enrichment columns.
 *
 * It is a view over the table `flow_records`, which holds only the columns some ingested record
 * had (added as they first appear): a v2 store keeps 14 field columns, not 60 mostly-NULL ones,
 * which keeps appends fast. Fields no record had read as NULL through the view.
 */

export type SqlType =
  | 'INTEGER'
  | 'BIGINT'
  | 'DOUBLE'
  | 'VARCHAR'
  | 'VARCHAR[]'
  | 'TIMESTAMP'
  | 'UHUGEINT'
  | 'UBIGINT'
  | 'UTINYINT'
  | 'USMALLINT'
  | 'UINTEGER';

export interface StoreColumn {
  readonly name: string;
  readonly type: SqlType;
}

export const FLOWS_TABLE = 'flows';
/** The physical table behind the `flows` view. */
export const RECORDS_TABLE = 'flow_records';

/**
 * A physical column not shown in `flows`: `srcaddr` and `dstaddr` as one number (source in the
 * high 32 bits) when both are canonical dotted IPv4, else NULL. top-talkers groups by it, which
 * is several times faster than grouping by two strings; the text comes back from the number.
 */
export const ADDR_PAIR_COLUMN = 'addr_pair_v4';
export const ADDR_PAIR_TYPE: SqlType = 'UBIGINT';
/**
 * `source` as a code into `flow_source_dict` (dims.ts): one value per input, and DuckDB
 * appends a constant integer far faster than a constant string. Stores written before keep
 * their text column `source`.
 */
export const SOURCE_CODE_COLUMN = 'source_code';
const HIDDEN_COLUMNS: ReadonlySet<string> = new Set([ADDR_PAIR_COLUMN, SOURCE_CODE_COLUMN]);

/** A canonical dotted IPv4 address, as a regular expression (the encoder's `ipv4Number` rule). */
const IPV4_OCTET = '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
const IPV4_CANONICAL = `${IPV4_OCTET}(\\.${IPV4_OCTET}){3}`;

/** SQL computing `addr_pair_v4` from two address expressions (the staged, re-ingest path). */
export function addrPairSql(src: string, dst: string): string {
  return `CASE WHEN regexp_full_match(${src}, '${IPV4_CANONICAL}') AND regexp_full_match(${dst}, '${IPV4_CANONICAL}')
    THEN (CAST(ipv4_int(${src}) AS UBIGINT) << 32) | CAST(ipv4_int(${dst}) AS UBIGINT) END`;
}

const FIELD_NAMES: ReadonlySet<string> = new Set(FIELDS.map((f) => f.column));

/**
 * The order `flows` shows flowlens's enrichment columns in, whichever of them a store has and
 * however they are stored (it is the order a store of every enricher showed before their
 * stored forms changed).
 */
const ENRICHMENT_ORDER: readonly string[] = [
  'src_city',
  'src_lat',
  'src_lon',
  'dst_city',
  'dst_lat',
  'dst_lon',
  'src_as_org',
  'dst_as_org',
  'protocol_name',
  'tcp_flag_names',
  'src_network_class',
  'dst_network_class',
  'flow_class',
  'src_country',
  'dst_country',
  'src_asn',
  'dst_asn',
  'community_id',
];

const FIELD_SQL_TYPE: Record<FieldType, SqlType> = { int32: 'INTEGER', int64: 'BIGINT', string: 'VARCHAR' };

/**
 * The store's timestamps, computed from the record's `start`/`end` when `flows` is read rather
 * than stored (less for DuckDB to append and write). Stores written before keep the stored
 * columns, and `flows` shows their values where set.
 */
export const DERIVED_TIMES: ReadonlyMap<string, string> = new Map([
  ['start_time', 'start'],
  ['end_time', 'end'],
]);

/** Columns the store fills itself, beside the record fields (DERIVED_TIMES are not stored). */
export const META_COLUMNS: readonly StoreColumn[] = [
  { name: 'start_time', type: 'TIMESTAMP' },
  { name: 'end_time', type: 'TIMESTAMP' },
  { name: 'uid', type: 'UHUGEINT' },
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
  src_lat: 'DOUBLE',
  src_lon: 'DOUBLE',
  dst_lat: 'DOUBLE',
  dst_lon: 'DOUBLE',
  // Stored forms (community-id.ts, dim-tables.ts, packed.ts), never `flows` columns themselves.
  [CID_HI]: 'UHUGEINT',
  [CID_LO]: 'UINTEGER',
  [PACKED_COLUMN]: 'UINTEGER',
  ...Object.fromEntries(DIM_COLUMNS.map((d) => [d.name, 'UINTEGER' as const])),
};

export const FIELD_COLUMNS: readonly StoreColumn[] = FIELDS.map((f) => ({
  name: f.column,
  type: FIELD_SQL_TYPE[f.type],
}));

export const quoteIdent = (name: string): string => `"${name.replaceAll('"', '""')}"`;
export const quoteText = (text: string): string => `'${text.replaceAll("'", "''")}'`;

/**
 * `record_uid` is computed from the stored 128-bit `uid` when read (32 hex digits, the uid
 * enricher's form), so the store keeps 16 bytes per record instead of a 32-character string.
 */
export const RECORD_UID_SQL = `lpad(lower(hex(uid)), 32, '0')`;

export function createRecordsSql(): string {
  const cols = META_COLUMNS.filter((c) => !DERIVED_TIMES.has(c.name)).map((c) =>
    c.name === 'source' ? `  ${SOURCE_CODE_COLUMN} UINTEGER` : `  ${quoteIdent(c.name)} ${c.type}`,
  );
  return `CREATE TABLE IF NOT EXISTS ${RECORDS_TABLE} (\n${cols.join(',\n')}\n)`;
}

/**
 * The `flows` view for the physical columns `present` (and the fields `packed_codes` holds,
 * see packed.ts `packedKey`): catalog fields first (NULL when absent), then the store's own
 * columns and `record_uid`, then enrichments and unknown fields.
 */
export function flowsViewSql(present: ReadonlyMap<string, string>): string {
  return `CREATE OR REPLACE VIEW ${FLOWS_TABLE} AS ${flowsSelectSql(present)}`;
}

/**
 * The SELECT behind `flows` over `from`: `flow_records` itself, or a relation of its rows named
 * `flow_records` (what the rollups aggregate, rollup-sync.ts).
 */
export function flowsSelectSql(present: ReadonlyMap<string, string>, from: string = RECORDS_TABLE): string {
  const meta = new Set(META_COLUMNS.map((c) => c.name));
  const fields = new Set(FIELD_COLUMNS.map((c) => c.name));
  const select = FIELD_COLUMNS.map((c) => {
    // Infrastructure ids stored as dictionary codes (dim-tables.ts) keep their place.
    const dim = DIM_BY_FIELD.get(c.name);
    if (dim && present.has(dim.name)) return `${memberSql(dim, 0, present)} AS ${quoteIdent(c.name)}`;
    // So do the fields packed with the coded enrichments (packed.ts).
    if (present.has(packedKey(c.name))) return `${packedSql(c.name, present)} AS ${quoteIdent(c.name)}`;
    const type = present.get(c.name);
    if (type === undefined) return `CAST(NULL AS ${c.type}) AS ${quoteIdent(c.name)}`;
    const coded = isCodedColumn(c.name, type);
    return coded ? `${decodeSql(coded, quoteIdent(c.name))} AS ${quoteIdent(c.name)}` : quoteIdent(c.name);
  });
  for (const c of META_COLUMNS) {
    if (c.name === 'source') select.push(`${sourceSql(present)} AS source`);
    else if (DERIVED_TIMES.has(c.name)) select.push(`${timeSql(c.name, present)} AS ${quoteIdent(c.name)}`);
    else if (c.name !== 'uid') select.push(quoteIdent(c.name));
  }
  select.push(`${RECORD_UID_SQL} AS record_uid`, 'uid');
  const shown = new Set<string>();
  const extras: Array<readonly [string, string]> = [];
  for (const [name, type] of present) {
    if (meta.has(name) || fields.has(name) || HIDDEN_COLUMNS.has(name) || type === PACKED_MARK) continue;
    // Code columns of record fields: shown in the fields' places above.
    if (DIM_BY_CODE_COLUMN.get(name)?.fields.every((f) => fields.has(f))) continue;
    // Columns stored as numbers or dictionary codes show as the values they stand for.
    const derived = derivedColumns(name, present);
    if (derived) {
      if (!shown.has(derived.key)) extras.push(...derived.select);
      shown.add(derived.key);
      continue;
    }
    // Coded columns (coded.ts) show their values, not their codes.
    const coded = isCodedColumn(name, type);
    extras.push([
      name,
      coded ? `${decodeSql(coded, quoteIdent(name))} AS ${quoteIdent(name)}` : quoteIdent(name),
    ]);
  }
  // flowlens's enrichments in one order whatever form they are stored in; the rest after them.
  const rank = (name: string): number => {
    const k = ENRICHMENT_ORDER.indexOf(name);
    return k < 0 ? ENRICHMENT_ORDER.length : k;
  };
  const ordered = extras
    .map((e, i) => [e, i] as const)
    .sort(([a, i], [b, j]) => rank(a[0]) - rank(b[0]) || i - j);
  select.push(...ordered.map(([[, sql]]) => sql));
  const columns = select.join(',\n  ');
  // The side tables' value lists, for the columns stored as dictionary codes (dims.ts).
  const lists = DIM_TABLES.filter((d) => usesDimLists(columns, d)).map((d) => `,\n  ${dimListsSql(d)}`);
  return `SELECT\n  ${columns}\nFROM ${from}${lists.join('')}`;
}

/** `start_time`/`end_time` from the epoch seconds, or the stored value of a store written before. */
function timeSql(name: string, present: ReadonlyMap<string, string>): string {
  const seconds = DERIVED_TIMES.get(name)!;
  const made = present.has(seconds)
    ? `make_timestamp(${quoteIdent(seconds)} * 1000000)`
    : 'CAST(NULL AS TIMESTAMP)';
  return present.has(name) ? `coalesce(${quoteIdent(name)}, ${made})` : made;
}

/** `source` from its code, from the text column of a store written before, or both. */
function sourceSql(present: ReadonlyMap<string, string>): string {
  const text = present.has('source') ? quoteIdent('source') : undefined;
  if (!present.has(SOURCE_CODE_COLUMN)) return text ?? 'CAST(NULL AS VARCHAR)';
  const coded = dimValueSql(SOURCES, 0, SOURCE_CODE_COLUMN);
  return text ? `coalesce(${text}, ${coded})` : coded;
}

/**
 * The `flows` columns a physical column belongs to when it is stored in another form: the
 * community id's two numbers (community-id.ts), a dictionary code column (dim-tables.ts), the
 * packed codes (packed.ts), or a plain column beside one of those (a store written before
 * them, or a batch that could not be stored so): `key` names the group, shown once. Where both
 * forms exist, the plain value is shown where set. Infrastructure ids are shown with the fields.
 */
function derivedColumns(
  name: string,
  present: ReadonlyMap<string, string>,
): { key: string; select: Array<readonly [string, string]> } | undefined {
  if (name === CID_HI || name === CID_LO || (name === CID_COLUMN && present.has(CID_HI))) {
    const rebuilt = communityIdSql(quoteIdent(CID_HI), quoteIdent(CID_LO));
    const value = present.has(CID_COLUMN) ? `coalesce(${quoteIdent(CID_COLUMN)}, ${rebuilt})` : rebuilt;
    return { key: CID_COLUMN, select: [[CID_COLUMN, `${value} AS ${quoteIdent(CID_COLUMN)}`]] };
  }
  if (name === PACKED_COLUMN || present.has(packedKey(name))) {
    // The enrichments some batch packed; `action` and `log_status` are shown with the fields.
    return {
      key: PACKED_COLUMN,
      select: PACKED_FIELDS.filter((f) => !FIELD_NAMES.has(f) && present.has(packedKey(f))).map(
        (f) => [f, `${packedSql(f, present)} AS ${quoteIdent(f)}`] as const,
      ),
    };
  }
  const def = DIM_BY_CODE_COLUMN.get(name) ?? DIM_BY_FIELD.get(name);
  if (!def || !present.has(def.name)) return undefined;
  return {
    key: def.name,
    select: def.fields.map((f, k) => [f, `${memberSql(def, k, present)} AS ${quoteIdent(f)}`] as const),
  };
}

/** A packed field (packed.ts) as `flows` shows it. */
function packedSql(field: string, present: ReadonlyMap<string, string>): string {
  return withPlain(field, packedValueSql(packedIndex(field), quoteIdent(PACKED_COLUMN)), present);
}

/** Member `k` of a dictionary code column as `flows` shows it. */
function memberSql(def: DimColumn, k: number, present: ReadonlyMap<string, string>): string {
  return withPlain(def.fields[k]!, dimValueSql(def.dim, k, quoteIdent(def.name)), present);
}

/** `value`, or the plain column `field` (decoded if coded) where the table has it and it is set. */
function withPlain(field: string, value: string, present: ReadonlyMap<string, string>): string {
  const type = present.get(field);
  if (type === undefined) return value;
  const coded = isCodedColumn(field, type);
  return `coalesce(${coded ? decodeSql(coded, quoteIdent(field)) : quoteIdent(field)}, ${value})`;
}

/**
 * SQL macros created in every store so addresses compare as IPs without the `inet` extension
 * (which needs a download): IPv4 text → integer, CIDR membership, private ranges, and IPv6
 * text in its fixed-width form (eight 4-digit lowercase groups, `::` expanded), which sorts as
 * the addresses do, so a CIDR is a range of it.
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
  `CREATE OR REPLACE MACRO ipv6_groups(part) AS (
    CASE WHEN part = '' THEN CAST([] AS VARCHAR[]) ELSE string_split(part, ':') END)`,
  `CREATE OR REPLACE MACRO ipv6_full(addr) AS (
    CASE WHEN regexp_full_match(addr, '[0-9A-Fa-f:]{2,39}') AND len(string_split(addr, '::')) <= 2 THEN
      array_to_string(list_transform(
        CASE WHEN contains(addr, '::') THEN list_concat(list_concat(
          ipv6_groups(split_part(addr, '::', 1)),
          list_transform(range(8 - len(ipv6_groups(split_part(addr, '::', 1)))
            - len(ipv6_groups(split_part(addr, '::', 2)))), x -> '0')),
          ipv6_groups(split_part(addr, '::', 2)))
        ELSE string_split(addr, ':') END,
        g -> lpad(lower(g), 4, '0')), ':')
    END)`,
  `CREATE OR REPLACE MACRO is_private_ip(addr) AS (
    ip_in_cidr(addr, '10.0.0.0/8') OR ip_in_cidr(addr, '172.16.0.0/12') OR ip_in_cidr(addr, '192.168.0.0/16')
    OR ip_in_cidr(addr, '100.64.0.0/10') OR ip_in_cidr(addr, '127.0.0.0/8') OR ip_in_cidr(addr, '169.254.0.0/16')
    OR lower(addr) LIKE 'fc%' OR lower(addr) LIKE 'fd%' OR lower(addr) LIKE 'fe80:%' OR addr = '::1')`,
];

/**
 * Per-store dictionaries: which values `flow_records` keeps as a UINTEGER code per record into a
 * small side table holding each distinct value once, and the SQL the `flows` view and the
 * reports use to look a code up. The encoding and the worker's copy of the tables are in dims.ts.
 *
 * Two kinds of values qualify, both bounded by something other than traffic:
 * - enrichment tuples: a place (city, coordinates, country) and an AS (organisation, number),
 *   bounded by the geo and ASN databases; one code stands for several `flows` columns;
 * - infrastructure ids (accounts, interfaces, VPCs, subnets, instances…), bounded by the
 *   infrastructure; ids of one kind share a table (`interface_id`, `tgw_src_eni`… are all ENIs).
 *
 * DuckDB appends an integer several times faster than a string. Codes are dense (1, 2, 3… in
 * the order values first appear), so the view finds a value by position in one list built per
 * query from the side table; an unused column costs nothing. Plain columns of the same names
 * (stores written before, or a batch whose column is not of the expected kind) stay readable:
 * `flows` shows the plain value where it is set.
 */

export interface DimMember {
  /** Column in the side table. */
  readonly column: string;
  readonly type: 'VARCHAR' | 'DOUBLE' | 'BIGINT';
}

export interface DimTable {
  readonly table: string;
  /**
   * In the side table's column order. Members are only ever added at the end: a store written
   * before gets them with ALTER TABLE, so its column order stays the same as a new store's.
   */
  readonly members: readonly DimMember[];
}

export interface DimColumn {
  /** The code column in `flow_records`. */
  readonly name: string;
  readonly dim: DimTable;
  /** The batch's (and `flows`') column for each member, in member order. */
  readonly fields: readonly string[];
}

const GEO: DimTable = {
  table: 'flow_geo_dict',
  members: [
    { column: 'city', type: 'VARCHAR' },
    { column: 'lat', type: 'DOUBLE' },
    { column: 'lon', type: 'DOUBLE' },
    { column: 'country', type: 'VARCHAR' },
  ],
};
const AS_ORG: DimTable = {
  table: 'flow_as_org_dict',
  members: [
    { column: 'org', type: 'VARCHAR' },
    { column: 'asn', type: 'BIGINT' },
  ],
};
/** The inputs records came from: `source_code` in `flow_records`, one value per input. */
export const SOURCES: DimTable = {
  table: 'flow_source_dict',
  members: [{ column: 'source', type: 'VARCHAR' }],
};

/**
 * Infrastructure ids by kind: the side table's name and value column, and the fields holding
 * ids of that kind. Ids that come and go with tasks or containers (ECS task and container ids)
 * and free text (tags) stay plain text.
 */
const ID_KINDS: ReadonlyArray<readonly [kind: string, fields: readonly string[]]> = [
  ['account_id', ['account_id', 'tgw_src_vpc_account_id', 'tgw_dst_vpc_account_id']],
  ['interface_id', ['interface_id', 'tgw_src_eni', 'tgw_dst_eni', 'next_hop_interface_id']],
  ['vpc_id', ['vpc_id', 'tgw_src_vpc_id', 'tgw_dst_vpc_id', 'next_hop_vpc_id']],
  ['subnet_id', ['subnet_id', 'tgw_src_subnet_id', 'tgw_dst_subnet_id', 'next_hop_subnet_id']],
  ['instance_id', ['instance_id']],
  ['az_id', ['az_id', 'tgw_src_az_id', 'tgw_dst_az_id', 'next_hop_az_id']],
  ['region', ['region']],
  ['tgw_id', ['tgw_id']],
  ['tgw_attachment_id', ['tgw_attachment_id', 'tgw_pair_attachment_id']],
  ['ecs_cluster', ['ecs_cluster_arn', 'ecs_cluster_name']],
  ['ecs_container_instance', ['ecs_container_instance_arn', 'ecs_container_instance_id']],
  ['ecs_service_name', ['ecs_service_name']],
  ['ecs_task_definition_arn', ['ecs_task_definition_arn']],
];

const idTable = (kind: string): DimTable => ({
  table: `flow_${kind}_dict`,
  members: [{ column: 'id', type: 'VARCHAR' }],
});
const ID_TABLES: ReadonlyArray<readonly [DimTable, readonly string[]]> = ID_KINDS.map(([kind, fields]) => [
  idTable(kind),
  fields,
]);

export const DIM_TABLES: readonly DimTable[] = [GEO, AS_ORG, SOURCES, ...ID_TABLES.map(([t]) => t)];

/** The code column of a field stored as an infrastructure id. */
export const idCodeColumn = (field: string): string => `${field}_code`;

export const DIM_COLUMNS: readonly DimColumn[] = [
  { name: 'src_geo_code', dim: GEO, fields: ['src_city', 'src_lat', 'src_lon', 'src_country'] },
  { name: 'dst_geo_code', dim: GEO, fields: ['dst_city', 'dst_lat', 'dst_lon', 'dst_country'] },
  { name: 'src_as_org_code', dim: AS_ORG, fields: ['src_as_org', 'src_asn'] },
  { name: 'dst_as_org_code', dim: AS_ORG, fields: ['dst_as_org', 'dst_asn'] },
  ...ID_TABLES.flatMap(([dim, fields]) => fields.map((f) => ({ name: idCodeColumn(f), dim, fields: [f] }))),
];

export const DIM_BY_CODE_COLUMN: ReadonlyMap<string, DimColumn> = new Map(
  DIM_COLUMNS.map((d) => [d.name, d]),
);
/** Batch column → the code column holding it. */
export const DIM_BY_FIELD: ReadonlyMap<string, DimColumn> = new Map(
  DIM_COLUMNS.flatMap((d) => d.fields.map((f) => [f, d] as const)),
);

export const quoteId = (name: string): string => `"${name.replaceAll('"', '""')}"`;

export function createDimTableSql(dim: DimTable): string {
  const cols = dim.members.map((m) => `${quoteId(m.column)} ${m.type}`);
  return `CREATE TABLE IF NOT EXISTS ${dim.table} (code UINTEGER, ${cols.join(', ')})`;
}

/** Brings a side table written before up to its members (new members are NULL for old values). */
export function upgradeDimTableSql(dim: DimTable): string[] {
  return dim.members.map(
    (m) => `ALTER TABLE ${dim.table} ADD COLUMN IF NOT EXISTS ${quoteId(m.column)} ${m.type}`,
  );
}

/** Alias of a side table's value lists in the `flows` view. */
const listsAlias = (dim: DimTable): string => `${dim.table}_lists`;

/**
 * SQL for member `k` of the value a code expression stands for (NULL for a NULL code), by
 * position in the member's list; the query must join `dimListsSql(dim)`.
 */
export function dimValueSql(dim: DimTable, k: number, code: string): string {
  return `${listsAlias(dim)}.${listColumn(dim.members[k]!)}[${code}]`;
}

/** A list's column name: prefixed, so that it never matches a `flow_records` column the view reads unqualified. */
const listColumn = (m: DimMember): string => quoteId(`flowlens_list_${m.column}`);

/**
 * One row holding each member of a side table as a list in code order, to join to
 * `flow_records` in the view. One such join per side table binds several times faster than one
 * scalar subquery per column (tens of ms per query with ten of them) and costs nothing at run
 * time: it is one row, built only when a query reads one of its columns. `only`: just these
 * members' lists (a report reading one member).
 */
export function dimListsSql(dim: DimTable, only?: readonly number[]): string {
  const members = only ? only.map((k) => dim.members[k]!) : dim.members;
  const lists = members.map((m) => `list(${quoteId(m.column)} ORDER BY code) AS ${listColumn(m)}`);
  return `(SELECT ${lists.join(', ')} FROM ${dim.table}) ${listsAlias(dim)}`;
}

/** Whether SQL text reads a side table's lists (see dimValueSql). */
export const usesDimLists = (sql: string, dim: DimTable): boolean => sql.includes(`${listsAlias(dim)}.`);

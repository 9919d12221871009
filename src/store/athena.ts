import { DEFAULT_FIELDS, FIELDS, type FieldDef } from '../fields/catalog.js';

/**
 * Athena `CREATE EXTERNAL TABLE` statements with partition projection (no MSCK REPAIR, no
 * crawler): for flowlens's own lake, and for the prefixes AWS writes flow logs to (spec sheet B):
 * text or Parquet, plain or Hive-compatible keys, daily or hourly.
 */

export type AthenaLayout = 'lake' | 'aws-text' | 'aws-parquet';

export interface AthenaOptions {
  readonly layout: AthenaLayout;
  /** s3://bucket/prefix: the lake root, or the prefix the flow log's destination ARN names. */
  readonly location: string;
  readonly table: string;
  readonly database?: string;
  /** Fields of the files (text: in order); default: every field (lake, Parquet) or the v2 default (text). */
  readonly fields?: readonly FieldDef[];
  readonly hive?: boolean;
  readonly hourly?: boolean;
  readonly account?: string;
  readonly region?: string;
  /** First day of the projection range, yyyy/MM/dd. */
  readonly startDate?: string;
}

export class AthenaError extends Error {
  override name = 'AthenaError';
}

/** Athena type of a field; `protocol` is bigint as in AWS's own DDL. */
export function athenaType(f: FieldDef): string {
  if (f.column === 'protocol') return 'bigint';
  return f.type === 'int32' ? 'int' : f.type === 'int64' ? 'bigint' : 'string';
}

const tick = (name: string): string => `\`${name}\``;
const prop = (k: string, v: string): string => `  '${k}' = '${v.replaceAll("'", "\\'")}'`;

export function athenaDdl(o: AthenaOptions): string {
  if (!/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/.test(o.location)) {
    throw new AthenaError(`--location: expected s3://bucket/prefix (got ${JSON.stringify(o.location)})`);
  }
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(o.table))
    throw new AthenaError(`--table: "${o.table}" is not a valid table name`);
  const root = o.location.replace(/\/+$/, '');
  const name = o.database ? `${tick(o.database)}.${tick(o.table)}` : tick(o.table);
  const text = o.layout === 'aws-text';
  const fields = o.fields ?? (text ? DEFAULT_FIELDS : FIELDS);
  const columns = fields.map((f) => `  ${tick(f.column)} ${athenaType(f)}`).join(',\n');
  const start = o.startDate ?? '2024/01/01';
  if (!/^\d{4}\/\d\d\/\d\d$/.test(start))
    throw new AthenaError(`--start-date: expected yyyy/MM/dd (got ${start})`);
  const [y] = start.split('/');

  let partitions: string;
  let props: string[];
  if (o.layout === 'lake') {
    partitions = '`year` int, `month` int, `day` int, `hour` int';
    props = [
      ...intProjection('year', `${y},2099`, 4),
      ...intProjection('month', '1,12', 2),
      ...intProjection('day', '1,31', 2),
      ...intProjection('hour', '0,23', 2),
      prop('storage.location.template', `${root}/year=\${year}/month=\${month}/day=\${day}/hour=\${hour}`),
    ];
  } else {
    if (!o.account || !/^\d{12}$/.test(o.account)) {
      throw new AthenaError('--account: the 12-digit account id in the AWSLogs/ key prefix is required');
    }
    if (!o.region || !/^[a-z]{2}(-[a-z]+)+-\d$/.test(o.region)) {
      throw new AthenaError('--region: the region in the key prefix is required (e.g. us-east-1)');
    }
    if (o.hive) {
      const base = `${root}/AWSLogs/aws-account-id=${o.account}/aws-service=vpcflowlogs/aws-region=${o.region}`;
      partitions = [
        '`year` string',
        '`month` string',
        '`day` string',
        ...(o.hourly ? ['`hour` string'] : []),
      ].join(', ');
      props = [
        ...intProjection('year', `${y},2099`, 4),
        ...intProjection('month', '1,12', 2),
        ...intProjection('day', '1,31', 2),
        ...(o.hourly ? intProjection('hour', '0,23', 2) : []),
        prop(
          'storage.location.template',
          `${base}/year=\${year}/month=\${month}/day=\${day}${o.hourly ? `/hour=\${hour}` : ''}`,
        ),
      ];
    } else {
      const base = `${root}/AWSLogs/${o.account}/vpcflowlogs/${o.region}`;
      partitions = '`date_path` string';
      props = [
        prop('projection.date_path.type', 'date'),
        prop('projection.date_path.format', o.hourly ? 'yyyy/MM/dd/HH' : 'yyyy/MM/dd'),
        prop('projection.date_path.range', `${start}${o.hourly ? '/00' : ''},NOW`),
        prop('projection.date_path.interval', '1'),
        prop('projection.date_path.interval.unit', o.hourly ? 'HOURS' : 'DAYS'),
        prop('storage.location.template', `${base}/\${date_path}`),
      ];
    }
  }
  const storage = text
    ? `ROW FORMAT DELIMITED FIELDS TERMINATED BY ' '\nSTORED AS TEXTFILE`
    : 'STORED AS PARQUET';
  const tableProps = [
    prop('projection.enabled', 'true'),
    ...props,
    ...(text ? [prop('skip.header.line.count', '1')] : []),
  ];
  const location = o.layout === 'lake' ? root : locationRoot(o, root);
  return `CREATE EXTERNAL TABLE IF NOT EXISTS ${name} (
${columns}
)
PARTITIONED BY (${partitions})
${storage}
LOCATION '${location}/'
TBLPROPERTIES (
${tableProps.join(',\n')}
);
`;
}

function locationRoot(o: AthenaOptions, root: string): string {
  return o.hive
    ? `${root}/AWSLogs/aws-account-id=${o.account}/aws-service=vpcflowlogs/aws-region=${o.region}`
    : `${root}/AWSLogs/${o.account}/vpcflowlogs/${o.region}`;
}

function intProjection(name: string, range: string, digits: number): string[] {
  return [
    prop(`projection.${name}.type`, 'integer'),
    prop(`projection.${name}.range`, range),
    ...(digits > 1 ? [prop(`projection.${name}.digits`, String(digits))] : []),
  ];
}

import { formatTable } from './output.js';
import type { ReportResult } from './report-run.js';

const HINTS: Readonly<Record<string, string>> = {
  vpc_id: 'flow-log format v3+',
  subnet_id: 'flow-log format v3+',
  instance_id: 'flow-log format v3+',
  pkt_srcaddr: 'flow-log format v3+',
  pkt_dstaddr: 'flow-log format v3+',
  pkt_src_aws_service: 'flow-log format v5+',
  pkt_dst_aws_service: 'flow-log format v5+',
  src_country: 'geo enrichment',
  dst_country: 'geo enrichment',
  src_asn: 'ASN enrichment',
  dst_asn: 'ASN enrichment',
};

/** Why a field is missing, for the one-line notice. */
export function missingText(fields: readonly string[]): string {
  return fields.map((f) => (HINTS[f] ? `${f} (${HINTS[f]})` : f)).join(', ');
}

/** A report as text: a heading per section, then its table or what it is missing. */
export function reportText(result: ReportResult): string {
  const range = [
    result.since ? `since ${result.since}` : '',
    result.until ? `until ${result.until}` : '',
    result.interval ? `interval ${result.interval}` : '',
  ]
    .filter(Boolean)
    .join(', ');
  const out: string[] = [];
  if (range) out.push(`(${range})`, '');
  for (const s of result.sections) {
    out.push(s.title);
    if (s.missing) {
      out.push(`  not available: the stored records lack ${missingText(s.missing)}`, '');
      continue;
    }
    if (!s.rows || s.rows.length === 0) {
      out.push('  no matching records', '');
      continue;
    }
    out.push(
      formatTable({ columns: s.columns ?? [], rows: s.rows })
        .split('\n')
        .map((l) => `  ${l}`)
        .join('\n'),
      '',
    );
  }
  return out.join('\n');
}

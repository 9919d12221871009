import { protocolName } from '../enrich/protocols.js';
import type { BatchView } from './view.js';

/**
 * A one-line human summary of a record, e.g.
 * `ACCEPT tcp 10.0.1.5:49152 -> 52.95.110.1:443 10 packets 840 bytes eni-0a1b`,
 * or `NODATA eni-0a1b 1620000000-1620000060` for records without traffic.
 */
export function summaryLine(v: BatchView, i: number): string {
  const status = v.str('log_status', i);
  const eni = v.str('interface_id', i) ?? v.str('resource_id', i) ?? v.str('tgw_attachment_id', i) ?? '-';
  if (status === 'NODATA' || status === 'SKIPDATA') {
    return `${status} ${eni} ${v.num('start', i) ?? '-'}-${v.num('end', i) ?? '-'}`;
  }
  const proto = v.num('protocol', i);
  const protoText =
    proto === null ? '-' : (v.str('protocol_name', i) ?? protocolName(proto) ?? String(proto));
  const endpoint = (addr: string | null, port: number | null): string => {
    const a = addr ?? '-';
    if (port === null) return a;
    return a.includes(':') ? `[${a}]:${port}` : `${a}:${port}`;
  };
  const src = endpoint(v.srcAddr(i), v.num('srcport', i));
  const dst = endpoint(v.dstAddr(i), v.num('dstport', i));
  const packets = v.num('packets', i);
  const bytes = v.num('bytes', i);
  return `${v.str('action', i) ?? '-'} ${protoText} ${src} -> ${dst} ${packets ?? '-'} packets ${bytes ?? '-'} bytes ${eni}`;
}

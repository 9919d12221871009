/** Number formatting shared by every panel. */
const nf = new Intl.NumberFormat('en-US');

export function count(n: unknown): string {
  return typeof n === 'number' ? nf.format(n) : '–';
}

export function bytes(n: unknown): string {
  if (typeof n !== 'number') return '–';
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(v >= 100 ? 0 : v >= 10 ? 1 : 2)} ${units[i]}`;
}

export function bits(perSecond: number): string {
  return bytes(perSecond)
    .replace('B', 'b')
    .replace(/^(.*) (\w?)b$/, '$1 $2bit/s');
}

export function percent(part: number, whole: number): string {
  if (whole <= 0) return '–';
  const p = (100 * part) / whole;
  return `${p < 10 ? p.toFixed(1) : p.toFixed(0)} %`;
}

export function usd(n: number): string {
  if (n === 0) return '$0';
  if (n < 1) return `$${n.toPrecision(2)}`;
  return n < 100 ? `$${n.toFixed(2)}` : `$${nf.format(Math.round(n))}`;
}

export function time(secs: unknown): string {
  if (typeof secs !== 'number') return '–';
  return new Date(secs * 1000).toISOString().replace('T', ' ').slice(0, 19);
}

export function duration(secs: unknown): string {
  if (typeof secs !== 'number') return '–';
  if (secs < 120) return `${secs.toFixed(0)} s`;
  if (secs < 7200) return `${(secs / 60).toFixed(0)} min`;
  if (secs < 172800) return `${(secs / 3600).toFixed(1)} h`;
  return `${nf.format(Math.round(secs / 86400))} d`;
}

const PROTOCOLS: Record<number, string> = {
  1: 'ICMP',
  6: 'TCP',
  17: 'UDP',
  47: 'GRE',
  50: 'ESP',
  51: 'AH',
  58: 'ICMPv6',
  132: 'SCTP',
};

export function protocol(n: unknown): string {
  return typeof n === 'number' ? (PROTOCOLS[n] ?? `proto ${n}`) : '–';
}

/** AWS's traffic-path codes (flow log field traffic-path). */
const PATHS: Record<number, string> = {
  1: 'same VPC',
  2: 'IGW or gateway endpoint',
  3: 'virtual private gateway',
  4: 'intra-region peering / TGW',
  5: 'inter-region peering',
  6: 'local gateway',
  7: 'gateway endpoint (Nitro)',
  8: 'internet gateway (Nitro)',
};

export function trafficPath(n: unknown): string {
  return typeof n === 'number' ? `${n} · ${PATHS[n] ?? 'unknown'}` : '–';
}

const FLAGS: Array<[number, string]> = [
  [1, 'FIN'],
  [2, 'SYN'],
  [4, 'RST'],
  [8, 'PSH'],
  [16, 'ACK'],
  [32, 'URG'],
];

export function tcpFlags(n: unknown): string {
  if (typeof n !== 'number') return '–';
  if (n === 0) return 'none';
  return FLAGS.filter(([bit]) => (n & bit) !== 0)
    .map(([, name]) => name)
    .join('+');
}

/** How a field's value is shown. */
export function value(field: string, v: unknown): string {
  if (v === null || v === undefined) return '–';
  if (field === 'protocol') return protocol(v);
  if (field === 'traffic_path') return trafficPath(v);
  if (field === 'tcp_flags') return tcpFlags(v);
  if (field === 'bytes') return bytes(v);
  if (field.endsWith('_time') || field === 'first_seen' || field === 'last_seen') return time(v);
  if (typeof v === 'number' && !/port|asn/.test(field)) return count(v);
  return String(v);
}

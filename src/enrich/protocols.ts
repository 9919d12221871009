/**
 * IANA "Assigned Internet Protocol Numbers": keyword of each number, lower case as in
 * /etc/protocols. Numbers without a keyword (61, 63, 68, 99, 114: "any … protocol"), the
 * unassigned range and the experimental/reserved values 253–255 have none.
 */
const KEYWORDS: readonly string[] = [
  'hopopt',
  'icmp',
  'igmp',
  'ggp',
  'ipv4',
  'st',
  'tcp',
  'cbt',
  'egp',
  'igp', // 0–9
  'bbn-rcc-mon',
  'nvp-ii',
  'pup',
  'argus',
  'emcon',
  'xnet',
  'chaos',
  'udp',
  'mux',
  'dcn-meas', // 10–19
  'hmp',
  'prm',
  'xns-idp',
  'trunk-1',
  'trunk-2',
  'leaf-1',
  'leaf-2',
  'rdp',
  'irtp',
  'iso-tp4', // 20–29
  'netblt',
  'mfe-nsp',
  'merit-inp',
  'dccp',
  '3pc',
  'idpr',
  'xtp',
  'ddp',
  'idpr-cmtp',
  'tp++', // 30–39
  'il',
  'ipv6',
  'sdrp',
  'ipv6-route',
  'ipv6-frag',
  'idrp',
  'rsvp',
  'gre',
  'dsr',
  'bna', // 40–49
  'esp',
  'ah',
  'i-nlsp',
  'swipe',
  'narp',
  'min-ipv4',
  'tlsp',
  'skip',
  'ipv6-icmp',
  'ipv6-nonxt', // 50–59
  'ipv6-opts',
  '',
  'cftp',
  '',
  'sat-expak',
  'kryptolan',
  'rvd',
  'ippc',
  '',
  'sat-mon', // 60–69
  'visa',
  'ipcv',
  'cpnx',
  'cphb',
  'wsn',
  'pvp',
  'br-sat-mon',
  'sun-nd',
  'wb-mon',
  'wb-expak', // 70–79
  'iso-ip',
  'vmtp',
  'secure-vmtp',
  'vines',
  'ttp',
  'nsfnet-igp',
  'dgp',
  'tcf',
  'eigrp',
  'ospfigp', // 80–89
  'sprite-rpc',
  'larp',
  'mtp',
  'ax.25',
  'ipip',
  'micp',
  'scc-sp',
  'etherip',
  'encap',
  '', // 90–99
  'gmtp',
  'ifmp',
  'pnni',
  'pim',
  'aris',
  'scps',
  'qnx',
  'a/n',
  'ipcomp',
  'snp', // 100–109
  'compaq-peer',
  'ipx-in-ip',
  'vrrp',
  'pgm',
  '',
  'l2tp',
  'ddx',
  'iatp',
  'stp',
  'srp', // 110–119
  'uti',
  'smp',
  'sm',
  'ptp',
  'isis',
  'fire',
  'crtp',
  'crudp',
  'sscopmce',
  'iplt', // 120–129
  'sps',
  'pipe',
  'sctp',
  'fc',
  'rsvp-e2e-ignore',
  'mobility-header',
  'udplite',
  'mpls-in-ip',
  'manet',
  'hip', // 130–139
  'shim6',
  'wesp',
  'rohc',
  'ethernet',
  'aggfrag', // 140–144
];

const TABLE: (string | null)[] = Array.from({ length: 256 }, (_, n) => {
  const k = KEYWORDS[n];
  return k ? k : null;
});

/** The IANA keyword of a protocol number, or null for an unassigned or keyword-less number. */
export function protocolName(n: number): string | null {
  if (!Number.isInteger(n) || n < 0 || n > 255) return null;
  return TABLE[n] ?? null;
}

/** OTel `network.transport` values the protocol maps to (the semconv enum has no ICMP, GRE…). */
export function otelTransport(n: number): string | null {
  if (n === 6) return 'tcp';
  if (n === 17) return 'udp';
  return null;
}

/** Protocols whose flow records carry ports (and whose Community ID hashes them). */
export function hasPorts(n: number): boolean {
  return n === 6 || n === 17 || n === 132 || n === 1 || n === 58;
}

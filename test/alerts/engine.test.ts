import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AlertEvent } from '../../src/alerts/book.js';
import { buildRules, parseAlertsConfig } from '../../src/alerts/config.js';
import { DistinctCounter } from '../../src/alerts/distinct.js';
import { AlertEngine } from '../../src/alerts/engine.js';
import type { Alert } from '../../src/alerts/types.js';
import { makeBatch } from '../enrich/make-batch.js';

const HEADER =
  'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status tcp-flags';
const T0 = 1780272000;

/** One record line: time is seconds after T0 (start = end - 5). */
function line(
  src: string,
  dst: string,
  sport: number,
  dport: number,
  t: number,
  action = 'ACCEPT',
  opts: { proto?: number; bytes?: number; eni?: string; flags?: number; status?: string } = {},
): string {
  const { proto = 6, bytes = 600, eni = 'eni-0a1', flags = 3, status = 'OK' } = opts;
  return `2 123456789012 ${eni} ${src} ${dst} ${sport} ${dport} ${proto} 10 ${bytes} ${T0 + t - 5} ${T0 + t} ${action} ${status} ${flags}`;
}

function engine(config: unknown = {}): AlertEngine {
  const c = parseAlertsConfig(config);
  return new AlertEngine(buildRules(c), c);
}

function fired(events: readonly AlertEvent[]): Alert[] {
  return events.filter((e) => e.kind === 'fired').map((e) => e.alert);
}

describe('alert engine', () => {
  it('finds a vertical scan: distinct ports of one host, bare SYNs raising confidence', () => {
    const e = engine();
    const lines = Array.from({ length: 30 }, (_, k) =>
      line('45.155.205.17', '10.0.0.5', 40000 + k, k + 1, 60 + k, 'REJECT', { flags: 2 }),
    );
    const events = [...e.observe(makeBatch(HEADER, lines)), ...e.flush()];
    const scans = fired(events).filter((a) => a.rule === 'port-scan-vertical');
    assert.equal(scans.length, 1);
    const a = scans[0]!;
    assert.equal(a.key, '45.155.205.17|10.0.0.5');
    assert.equal(a.count, 30);
    assert.equal(a.details.value, 30);
    assert.equal(a.details.threshold, 25);
    assert.equal(a.details.confidence, 'high');
    assert.equal(a.mitre, 'T1046');
    assert.equal(a.first_seen, new Date((T0 + 55) * 1000).toISOString());
    assert.equal(a.sample_uids.length, 3);
    // 24 ports stay below the threshold
    const e2 = engine();
    const few = lines.slice(0, 24);
    assert.equal(
      fired([...e2.observe(makeBatch(HEADER, few)), ...e2.flush()]).filter(
        (x) => x.rule === 'port-scan-vertical',
      ).length,
      0,
    );
  });

  it('updates an open alert within the cooldown and fires again after it', () => {
    const e = engine({ cooldown: 3600 });
    const ssh = (t: number) => line('185.220.101.33', '10.0.0.9', 50000, 22, t);
    const events: AlertEvent[] = [];
    // hour 0 and hour 1: one alert, updated; hour 4: past the cooldown, a new alert
    for (const t of [100, 3700, 4 * 3600 + 100]) events.push(...e.observe(makeBatch(HEADER, [ssh(t)])));
    events.push(...e.observe(makeBatch(HEADER, [line('10.0.0.1', '10.0.0.2', 40000, 443, 9 * 3600)])));
    events.push(...e.flush());
    const admin = events.filter((x) => x.alert.rule === 'admin-port-exposed');
    assert.deepEqual(
      admin.map((x) => x.kind),
      ['fired', 'updated', 'closed', 'fired', 'closed'],
    );
    const first = admin[0]!.alert;
    assert.equal(first.count, 2);
    assert.equal(first.details.windows, 2);
    assert.equal(first.last_seen, new Date((T0 + 3700) * 1000).toISOString());
    assert.notEqual(admin[3]!.alert.id, first.id);
  });

  it('counts records later than the lateness bound instead of reopening closed windows', () => {
    const e = engine({ lateness: 60 });
    e.observe(makeBatch(HEADER, [line('10.0.0.1', '10.0.0.2', 40000, 443, 10)]));
    e.observe(makeBatch(HEADER, [line('10.0.0.1', '10.0.0.2', 40000, 443, 7200)]));
    assert.equal(e.late, 0);
    e.observe(makeBatch(HEADER, [line('203.0.113.9', '10.0.0.2', 40000, 22, 30)]));
    assert.ok(e.late > 0);
  });

  it('approves the VPC resolver, the Route 53 Resolver addresses and configured ones', () => {
    const dns = (dst: string, t: number) =>
      line('10.0.1.20', dst, 40000 + t, 53, t, 'ACCEPT', { proto: 17, flags: 0 });
    const e = engine({
      rules: { 'dns-unapproved-resolver': { vpc_cidrs: ['172.31.0.0/16'], resolvers: ['10.9.9.9'] } },
    });
    const lines = [
      dns('172.31.0.2', 1),
      dns('169.254.169.253', 2),
      dns('10.9.9.9', 3),
      dns('8.8.8.8', 4),
      dns('1.1.1.1', 5),
    ];
    const events = [...e.observe(makeBatch(HEADER, lines)), ...e.flush()];
    assert.deepEqual(
      fired(events)
        .filter((a) => a.rule === 'dns-unapproved-resolver')
        .map((a) => a.key)
        .sort(),
      ['10.0.1.20|1.1.1.1', '10.0.1.20|8.8.8.8'],
    );
    // without configured CIDRs, x.y.0.2 of a private range counts as a VPC resolver
    const e2 = engine();
    const ev2 = [...e2.observe(makeBatch(HEADER, [dns('10.0.0.2', 1)])), ...e2.flush()];
    assert.equal(fired(ev2).length, 0);
  });

  it('runs a user rule: filter, group-by, aggregate, threshold, window', () => {
    const e = engine({
      custom: [
        {
          id: 'ssh-rejects',
          title: 'Rejected SSH',
          severity: 'low',
          mitre: 'T1110',
          filter: { action: 'REJECT', dstport: [22], src: ['0.0.0.0/0'] },
          group_by: ['src'],
          aggregate: 'count',
          threshold: 3,
          window: 3600,
        },
      ],
      rules: { 'reject-spike-source': { enabled: false } },
    });
    const lines = [1, 2, 3].map((k) =>
      line('198.18.0.1', '10.0.0.4', 50000 + k, 22, k * 10, 'REJECT', { flags: 2 }),
    );
    lines.push(line('198.18.0.2', '10.0.0.4', 50000, 22, 50, 'REJECT'));
    const alerts = fired([...e.observe(makeBatch(HEADER, lines)), ...e.flush()]).filter(
      (a) => a.rule === 'ssh-rejects',
    );
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0]!.key, '198.18.0.1');
    assert.equal(alerts[0]!.severity, 'low');
    assert.equal(alerts[0]!.count, 3);
  });

  it('groups a user rule by number and text columns, across batches', () => {
    const e = engine({
      custom: [{ id: 'by-bytes', group_by: ['bytes', 'account_id'], threshold: 3, window: 3600 }],
    });
    const big = (t: number) => line('10.0.0.1', '10.0.0.2', 40000, 443, t, 'ACCEPT', { bytes: 9000 });
    const small = (t: number) => line('10.0.0.1', '10.0.0.2', 40000, 443, t, 'ACCEPT', { bytes: 10 });
    const events = [
      ...e.observe(makeBatch(HEADER, [big(10), small(11)])),
      ...e.observe(makeBatch(HEADER, [big(20), small(21), big(30)])),
      ...e.flush(),
    ];
    const alerts = fired(events).filter((a) => a.rule === 'by-bytes');
    assert.deepEqual(
      alerts.map((a) => [a.key, a.count, a.details.group]),
      [['9000|123456789012', 3, { bytes: '9000', account_id: '123456789012' }]],
    );
  });

  it('bounds the groups of a window and counts what it had to drop', () => {
    const e = engine({ max_groups: 10 });
    const lines = Array.from({ length: 50 }, (_, k) => line(`10.0.${k}.1`, '10.0.0.2', 40000, 443, 10));
    e.observe(makeBatch(HEADER, lines));
    assert.ok(e.dropped > 0);
  });

  it('turns SKIPDATA, unusual protocols and IMDS records into alerts', () => {
    const e = engine();
    const lines = [
      line('10.0.0.7', '62.210.16.61', 0, 0, 10, 'ACCEPT', { proto: 47, flags: 0, eni: 'eni-gre' }),
      line('10.0.0.8', '169.254.169.254', 40000, 80, 20, 'ACCEPT', { eni: 'eni-imds' }),
    ];
    const skip = '2 123456789012 eni-skip - - - - - - - 1780272000 1780272060 - SKIPDATA -';
    const events = [...e.observe(makeBatch(HEADER, [...lines, skip])), ...e.flush()];
    const keys = fired(events).map((a) => `${a.rule} ${a.key}`);
    assert.ok(keys.includes('unusual-protocol eni-gre|47'), keys.join(', '));
    assert.ok(keys.includes('imds-non-local eni-imds|10.0.0.8'));
    assert.ok(keys.includes('data-loss-skipdata eni-skip'));
  });
});

describe('distinct counter', () => {
  it('is exact up to 64 values, then within 10 % (about 3 standard errors)', () => {
    const d = new DistinctCounter();
    for (let k = 0; k < 64; k++) d.add(k * 7);
    assert.equal(d.count, 64);
    assert.equal(d.approximate, false);
    for (const n of [1000, 100_000]) {
      const c = new DistinctCounter();
      for (let k = 0; k < n; k++) c.add(0x0a000000 + k * 3);
      for (let k = 0; k < n; k++) c.add(0x0a000000 + k * 3);
      assert.equal(c.approximate, true);
      assert.ok(Math.abs(c.count - n) / n < 0.1, `${c.count} for ${n}`);
    }
  });
});

describe('alert rule configuration', () => {
  const bad: Array<[string, unknown, RegExp]> = [
    ['unknown built-in', { rules: { 'port-scan': {} } }, /alert rule "port-scan": not a built-in rule/],
    [
      'unknown setting',
      { rules: { 'port-scan-vertical': { treshold: 3 } } },
      /"port-scan-vertical": unknown setting "treshold"/,
    ],
    [
      'negative threshold',
      { rules: { 'mining-pool': { threshold: -1 } } },
      /"mining-pool": threshold: expected a number/,
    ],
    [
      'bad port list',
      { rules: { 'mining-pool': { ports: ['x'] } } },
      /"mining-pool": ports: expected a list of port numbers/,
    ],
    [
      'bad CIDR',
      { custom: [{ id: 'r1', filter: { src: ['10.0.0.0/33'] }, group_by: ['src'] }] },
      /"r1": filter.src: "10.0.0.0\/33" is not an IP address or CIDR/,
    ],
    [
      'bad aggregate',
      { custom: [{ id: 'r2', group_by: ['src'], aggregate: 'avg' }] },
      /"r2": aggregate: expected count/,
    ],
    [
      'unknown filter field',
      { custom: [{ id: 'r3', group_by: ['src'], filter: { port: 22 } }] },
      /"r3": filter: unknown field "port"/,
    ],
    ['no group-by', { custom: [{ id: 'r4' }] }, /"r4": group_by: name at least one field/],
    [
      'duplicate id',
      { custom: [{ id: 'mining-pool', group_by: ['src'] }] },
      /"mining-pool": the id is already taken/,
    ],
    [
      'bad resolver',
      { rules: { 'dns-unapproved-resolver': { resolvers: ['dns.google'] } } },
      /resolvers: "dns.google" is not/,
    ],
  ];
  for (const [what, config, message] of bad) {
    it(`fails at start on ${what}, naming the rule`, () => {
      assert.throws(() => buildRules(parseAlertsConfig(config)), message);
    });
  }
});

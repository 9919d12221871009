import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { AsnCsvError, AsnCsvParser, OrgPool } from '../../src/enrich/asn-csv.js';
import { type AsnFiles, defaultAsnFiles, loadAsnRanges, readAsnCsv } from '../../src/enrich/asn-ranges.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/enrich/asn');
const fixture: AsnFiles = { v4: join(FIXTURES, 'asn-ipv4-num.csv'), v6: join(FIXTURES, 'asn-ipv6-num.csv') };

const v4 = (ip: string) => ({ ip, isV6: false });

test('fixture: quoted names with commas and doubled quotes, CRLF, blank lines, no final newline', () => {
  const t = loadAsnRanges(fixture);
  const look = ({ ip, isV6 }: { ip: string; isV6: boolean }) => t.lookup(ip, isV6);
  assert.deepEqual(look(v4('1.0.0.1')), { asn: 13335, org: 'Cloudflare, Inc.' });
  assert.deepEqual(look(v4('1.0.7.255')), { asn: 38803, org: 'Gtelecom Pty Ltd' }, 'CRLF line, last address');
  assert.deepEqual(look(v4('2.26.200.9')), { asn: 201907, org: 'LLC "SPUTNIK"' });
  assert.deepEqual(look(v4('2.38.170.1')), { asn: 213300, org: 'accompio SmarTec GmbH"' });
  assert.deepEqual(look(v4('3.0.0.1')), { asn: 64500, org: null }, 'empty organisation');
  assert.deepEqual(look(v4('3.0.1.1')), { asn: 64501, org: null }, 'quoted empty organisation');
  assert.deepEqual(
    look(v4('255.255.255.255')),
    { asn: 64999, org: 'Top, of, range' },
    'last line, no newline',
  );
  // Out of order in the file (after 10/8): sorted at load.
  assert.deepEqual(look(v4('8.8.8.8')), { asn: 15169, org: 'Google LLC' });
  // Between ranges, before the first, not an address.
  assert.equal(look(v4('1.0.1.0')), null);
  assert.equal(look(v4('0.255.255.255')), null);
  assert.equal(look(v4('not-an-ip')), null);
  // 11 data lines (one blank): all kept, one overlap clipped.
  assert.equal(t.v4Rows, 11);
  assert.equal(t.orgNames().filter((o) => o === 'Cloudflare, Inc.').length, 1, 'names are stored once');
});

test('fixture: overlapping rows, the earlier keeps the shared addresses', () => {
  const t = loadAsnRanges(fixture);
  // 215.0.0.0 (3607101440) lies in both rows: the first row wins; past its end, the second one.
  assert.equal(t.lookup('215.0.0.0', false)?.asn, 749);
  assert.equal(t.lookup('215.0.255.255', false)?.asn, 749); // 3607166975, row one's end
  assert.equal(t.lookup('215.1.0.0', false)?.asn, 721); // 3607166976
  assert.equal(t.lookup('215.1.3.255', false)?.asn, 721); // 3607167999, row two's end
  assert.equal(t.lookup('215.1.4.0', false), null);
});

test('fixture: IPv6 128-bit bounds, mapped IPv4, the top of the address space', () => {
  const t = loadAsnRanges(fixture);
  assert.deepEqual(t.lookup('2606:4700:4700::1111', true), { asn: 13335, org: 'Cloudflare, Inc.' });
  assert.deepEqual(t.lookup('2001:200::', true), { asn: 2500, org: 'WIDE Project' });
  assert.deepEqual(t.lookup('2001:200:ffff:ffff:ffff:ffff:ffff:ffff', true), {
    asn: 2500,
    org: 'WIDE Project',
  });
  assert.equal(t.lookup('2001:201::', true), null, 'just past a range');
  assert.equal(t.lookup('2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff', true), null, 'just before a range');
  assert.equal(t.lookup('2001:4860:4860::8888', true)?.asn, 15169);
  assert.equal(t.lookup('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', true)?.asn, 65000);
  // IPv4-mapped and NAT64 addresses are looked up in the IPv4 table.
  assert.equal(t.lookup('::ffff:1.0.0.1', true)?.asn, 13335);
  assert.equal(t.lookup('64:ff9b::808:808', true)?.asn, 15169);
  assert.equal(t.lookup('2001:zz::1', true), null);
});

test('chunk boundaries anywhere give the same table', () => {
  const whole = readAsnCsv(fixture.v4, 1, new OrgPool());
  for (const size of [1, 2, 7, 13, 64]) {
    const pool = new OrgPool();
    const chunked = readAsnCsv(fixture.v4, 1, pool, size);
    assert.equal(chunked.count, whole.count, `chunk size ${size}`);
    assert.deepEqual(chunked.starts, whole.starts, `chunk size ${size}`);
    assert.deepEqual(chunked.ends, whole.ends, `chunk size ${size}`);
    assert.deepEqual(chunked.asns, whole.asns, `chunk size ${size}`);
    assert.equal(pool.names[chunked.orgIds[chunked.findV4(16777217)]!], 'Cloudflare, Inc.');
  }
  const v6whole = readAsnCsv(fixture.v6, 4, new OrgPool());
  const v6chunked = readAsnCsv(fixture.v6, 4, new OrgPool(), 5);
  assert.deepEqual(v6chunked.starts, v6whole.starts);
  assert.deepEqual(v6chunked.ends, v6whole.ends);
});

function parse(text: string, words: 1 | 4 = 1) {
  const p = new AsnCsvParser(words, 'test.csv', new OrgPool());
  p.push(Buffer.from(text));
  return p.end();
}

test('malformed rows fail naming the file, the line and what is wrong', () => {
  const cases: [string, 1 | 4, RegExp][] = [
    ['1,2,3,a\nx,2,3,b\n', 1, /^test\.csv line 2: start is not an IPv4 address number/],
    ['1,4294967296,3,a\n', 1, /^test\.csv line 1: end is not an IPv4 address number/],
    ['5,4,3,a\n', 1, /^test\.csv line 1: range end is below its start/],
    ['1 2,3,a\n', 1, /^test\.csv line 1: expected a comma after the start/],
    ['1,2\n', 1, /^test\.csv line 1: expected a comma after the end/],
    ['1,2,3\n', 1, /^test\.csv line 1: expected a comma after the AS number/],
    ['1,2,99999999999,a\n', 1, /^test\.csv line 1: AS number is not a number/],
    ['1,2,3,"open\n', 1, /^test\.csv line 1: unterminated quoted organisation/],
    ['1,2,3,"a"b\n', 1, /^test\.csv line 1: text after the closing quote/],
    // 2^128 does not fit
    [
      '0,340282366920938463463374607431768211456,1,a\n',
      4,
      /^test\.csv line 1: end is not an IPv6 address number/,
    ],
  ];
  for (const [text, words, message] of cases) {
    assert.throws(
      () => parse(text, words),
      (err: Error) => err instanceof AsnCsvError && message.test(err.message),
      text,
    );
  }
  // The largest 128-bit value is fine.
  const top = parse('0,340282366920938463463374607431768211455,7,a', 4);
  assert.deepEqual([...top.ends], [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff]);
  assert.equal(top.findV6(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff), 0);
});

test('a line that never ends is rejected, not buffered without bound', () => {
  const p = new AsnCsvParser(1, 'long.csv', new OrgPool());
  assert.throws(() => {
    for (let i = 0; i < 100; i++) p.push(Buffer.alloc(1024, 0x31));
  }, /long\.csv line 1: line longer than 65536 bytes/);
});

test('an unreadable file fails with its path', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowlens-asn-'));
  try {
    const bad = join(dir, 'asn-ipv4-num.csv');
    writeFileSync(bad, '1,2,3,a\n1,2,oops\n');
    assert.throws(() => loadAsnRanges({ v4: bad, v6: fixture.v6 }), /asn-ipv4-num\.csv line 2: AS number/);
    assert.throws(() => loadAsnRanges({ v4: join(dir, 'missing.csv'), v6: fixture.v6 }), /ENOENT/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the installed @ip-location-db/asn package: known IPv4 and IPv6 ranges', () => {
  const files = defaultAsnFiles();
  assert.ok(files, '@ip-location-db/asn is a dependency and must be installed');
  const t = loadAsnRanges(files);
  assert.ok(t.v4Rows > 100_000, `IPv4 ranges: ${t.v4Rows}`);
  assert.ok(t.v6Rows > 10_000, `IPv6 ranges: ${t.v6Rows}`);
  // The first row of the IPv4 file: 16777216,16777471,13335,"Cloudflare, Inc."
  assert.deepEqual(t.lookup('1.0.0.1', false), { asn: 13335, org: 'Cloudflare, Inc.' });
  assert.equal(t.lookup('2606:4700:4700::1111', true)?.asn, 13335);
  assert.equal(t.lookup('2001:4860:4860::8888', true)?.asn, 15169);
  // Reserved space is in no range.
  assert.equal(t.lookup('240.0.0.1', false), null);
});

test('binary copy: a later load reads it, gives the same answers, and survives damage', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowlens-asn-cache-'));
  const before = process.env.FLOWLENS_CACHE_DIR;
  process.env.FLOWLENS_CACHE_DIR = dir;
  try {
    const probes = ['1.0.0.1', '8.8.8.8', '215.1.0.0', '3.0.0.1', '1.0.1.0'].map((ip) => v4(ip));
    const v6probes = ['2606:4700:4700::1111', '2001:201::', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'];
    const answers = (t: ReturnType<typeof loadAsnRanges>) => [
      ...probes.map((p) => t.lookup(p.ip, false)),
      ...v6probes.map((ip) => t.lookup(ip, true)),
    ];
    const parsed = loadAsnRanges(fixture);
    const files = readdirSync(dir).filter((f) => f.endsWith('.bin'));
    assert.equal(files.length, 1, 'the parsed table was written');
    const cached = loadAsnRanges(fixture);
    assert.deepEqual(answers(cached), answers(parsed));
    assert.deepEqual(cached.orgNames(), parsed.orgNames());
    assert.equal(cached.v4Rows, parsed.v4Rows);
    // A damaged copy is not used: the CSV is parsed again and the copy replaced.
    const path = join(dir, files[0]!);
    writeFileSync(path, readFileSync(path).subarray(0, 100));
    assert.deepEqual(answers(loadAsnRanges(fixture)), answers(parsed));
    assert.ok(readFileSync(path).length > 100, 'rewritten whole');
  } finally {
    if (before === undefined) delete process.env.FLOWLENS_CACHE_DIR;
    else process.env.FLOWLENS_CACHE_DIR = before;
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the installed package: the binary table read in pages answers as the parsed arrays do', () => {
  const files = defaultAsnFiles();
  assert.ok(files, '@ip-location-db/asn is a dependency and must be installed');
  const dir = mkdtempSync(join(tmpdir(), 'flowlens-asn-pages-'));
  const before = process.env.FLOWLENS_CACHE_DIR;
  process.env.FLOWLENS_CACHE_DIR = dir;
  try {
    const orgs = new OrgPool();
    const v4Table = readAsnCsv(files.v4, 1, orgs);
    const v6Table = readAsnCsv(files.v6, 4, orgs);
    const expected = (row: number, table: typeof v4Table) =>
      row < 0 ? null : { asn: table.asns[row]!, org: orgs.names[table.orgIds[row]!] || null };
    loadAsnRanges(files); // parses and writes the copy
    const paged = loadAsnRanges(files); // reads the copy in pages
    assert.equal(readdirSync(dir).filter((f) => f.endsWith('.bin')).length, 1);
    assert.equal(paged.v4Rows, v4Table.count);
    assert.equal(paged.v6Rows, v6Table.count);
    let x = 11;
    const next = () => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return x;
    };
    let found = 0;
    for (let i = 0; i < 20_000; i++) {
      const ip = next();
      const text = `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`;
      const want = expected(v4Table.findV4(ip), v4Table);
      assert.deepEqual(paged.lookup(text, false), want, text);
      if (want) found++;
      // a range's first and last address
      const row = i % v4Table.count;
      for (const bound of [v4Table.starts[row]!, v4Table.ends[row]!]) {
        const b = `${bound >>> 24}.${(bound >>> 16) & 255}.${(bound >>> 8) & 255}.${bound & 255}`;
        assert.deepEqual(paged.lookup(b, false), expected(row, v4Table), b);
      }
    }
    assert.ok(found > 10_000, `${found} random IPv4 addresses in a range`);
    found = 0;
    for (let i = 0; i < 5000; i++) {
      // within 2000::/4 most of the time, so many fall in a range
      const words = [(0x20000000 | (next() & 0x0fffffff)) >>> 0, next(), next(), next()];
      if (i % 2 === 1) {
        const row = next() % v6Table.count;
        for (let w = 0; w < 4; w++) words[w] = v6Table.starts[row * 4 + w]!;
      }
      const [w0, w1, w2, w3] = words as [number, number, number, number];
      const text = Array.from({ length: 8 }, (_, g) =>
        ((words[g >> 1]! >>> (g % 2 ? 0 : 16)) & 0xffff).toString(16),
      ).join(':');
      const want = expected(v6Table.findV6(w0, w1, w2, w3), v6Table);
      assert.deepEqual(paged.lookup(text, true), want, text);
      if (want) found++;
    }
    assert.ok(found > 2500, `${found} IPv6 addresses in a range`);
  } finally {
    if (before === undefined) delete process.env.FLOWLENS_CACHE_DIR;
    else process.env.FLOWLENS_CACHE_DIR = before;
    rmSync(dir, { recursive: true, force: true });
  }
});

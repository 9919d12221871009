import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { resolveOptions } from '../../src/config/options.js';
import { INGEST_OPTIONS } from '../../src/pipeline/build.js';
import { runOnce } from '../../src/pipeline/once.js';

const dir = mkdtempSync(join(tmpdir(), 'flowlens-empty-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const LINE =
  '2 123456789012 eni-0a1b2c3d 10.0.0.1 10.0.0.2 443 49152 6 10 840 1700000000 1700000060 ACCEPT OK';

async function run(files: Record<string, string>) {
  const paths = Object.entries(files).map(([name, text]) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  });
  const options = resolveOptions(INGEST_OPTIONS(), { flags: { to: ['null'], enrich: ['none'] }, env: {} });
  return runOnce(paths, options, { env: {}, log: () => undefined });
}

for (const [name, text] of [
  ['empty.log', ''],
  ['blank.log', '  \n\n\t\n'],
  [
    'header-only.log',
    'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n',
  ],
] as const) {
  test(`an input with no line to read (${name}) fails the run and says why`, async () => {
    const report = await run({ [name]: text });
    assert.equal(report.ok, false);
    assert.equal(report.stats.records, 0);
    const errors = report.stats.errors;
    assert.equal(errors.length, 1);
    assert.match(errors[0]!.source, new RegExp(`${name.replace('.', '\\.')}$`));
    assert.match(errors[0]!.message, /no flow log records: the input is empty or holds only a header/);
  });
}

test('an empty input beside a good one fails the run, and the good one is still delivered', async () => {
  const report = await run({ 'good.log': `${LINE}\n`, 'nothing.log': '' });
  assert.equal(report.ok, false);
  assert.equal(report.stats.records, 1);
  assert.equal(report.sinks[0]!.delivered, 1);
  assert.deepEqual(
    report.stats.errors.map((e) => e.source.split('/').pop()),
    ['nothing.log'],
  );
});

test('a file of NODATA records is not empty: it reads without error', async () => {
  const report = await run({
    'nodata.log': '2 123456789012 eni-0a1b2c3d - - - - - - - 1700000000 1700000060 - NODATA\n',
  });
  assert.equal(report.ok, true);
  assert.equal(report.stats.nodata, 1);
});

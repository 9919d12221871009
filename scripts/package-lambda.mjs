#!/usr/bin/env node
/**
 * Builds the Lambda artefacts:
 *   dist/lambda/index.mjs     one ESM bundle exporting `handler` (Node.js 20/22 runtimes)
 *   dist/lambda/*.wasm        the WebAssembly modules (line scanner, OTLP line transcoder, Community ID, row spread), read beside the bundle
 *   dist/flowlens-lambda.zip  that file as index.mjs, ready for `aws lambda update-function-code`
 *
 * The AWS SDK clients are bundled (pinned to the versions flowlens is tested with, rather than
 * whatever the runtime ships). DuckDB (native) and the DB-IP geo databases are left out: the
 * `store` sink reports itself unavailable, and geo runs only when FLOWLENS_GEOIP_DB names a file.
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32, deflateRawSync } from 'node:zlib';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outfile = join(root, 'dist/lambda/index.mjs');
const zipfile = join(root, 'dist/flowlens-lambda.zip');

/** Sinks built on DuckDB (a native module): in the bundle, creating one fails with a clear line. */
const DUCKDB_SINKS = ['store', 'lake'];

const leaveOut = {
  name: 'leave-out',
  setup(b) {
    b.onResolve({ filter: /^\.\/sink\.js$/ }, (args) => {
      const sink = DUCKDB_SINKS.find((name) => args.importer.endsWith(join('src/sinks', name, 'entry.ts')));
      return sink ? { path: sink, namespace: 'duckdb-sink' } : undefined;
    });
    b.onLoad({ filter: /.*/, namespace: 'duckdb-sink' }, (args) => ({
      contents: `export async function create() {
  throw new Error(${JSON.stringify(
    `the ${args.path} sink needs DuckDB, which the flowlens Lambda bundle leaves out; use otlp, http, elasticsearch or ndjson`,
  )});
}`,
      loader: 'js',
    }));
    // Anything else that reaches for DuckDB gets a module that fails when used, not at load.
    b.onResolve({ filter: /^@duckdb\// }, (args) => ({ path: args.path, namespace: 'left-out' }));
    b.onLoad({ filter: /.*/, namespace: 'left-out' }, (args) => ({
      contents: `module.exports = new Proxy({}, { get(_t, key) {
  if (key === '__esModule' || typeof key === 'symbol') return undefined;
  throw new Error(${JSON.stringify(`${args.path} is not part of the flowlens Lambda bundle`)});
} });`,
      loader: 'js',
    }));
  },
};

await build({
  entryPoints: [join(root, 'src/lambda/index.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: true,
  keepNames: true,
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [leaveOut],
  // CommonJS dependencies inside an ESM bundle still call require() for Node built-ins.
  banner: {
    js: "import { createRequire as __flowlensRequire } from 'node:module'; const require = __flowlensRequire(import.meta.url);",
  },
});

const code = readFileSync(outfile);
const modules = readdirSync(join(root, 'dist/wasm'))
  .filter((f) => f.endsWith('.wasm'))
  .sort();
for (const name of modules) copyFileSync(join(root, 'dist/wasm', name), join(dirname(outfile), name));
writeZip(zipfile, [
  { name: 'index.mjs', data: code },
  ...modules.map((name) => ({ name, data: readFileSync(join(dirname(outfile), name)) })),
]);
const kib = (f) => `${(statSync(f).size / 1024).toFixed(0)} KiB`;
process.stdout.write(`wrote ${outfile} (${kib(outfile)}) and ${zipfile} (${kib(zipfile)})\n`);

/** A minimal zip (deflate, no extras): local headers, central directory, end record. */
function writeZip(path, files) {
  const parts = [];
  const central = [];
  let offset = 0;
  // 1980-01-01 00:00: a fixed time keeps the archive reproducible.
  const dosTime = 0;
  const dosDate = (0 << 9) | (1 << 5) | 1;
  for (const f of files) {
    const name = Buffer.from(f.name);
    const packed = deflateRawSync(f.data, { level: 9 });
    const crc = crc32(f.data) >>> 0;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0, 6);
    local.writeUInt16LE(8, 8);
    local.writeUInt16LE(dosTime, 10);
    local.writeUInt16LE(dosDate, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(f.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    parts.push(local, name, packed);
    const dir = Buffer.alloc(46);
    dir.writeUInt32LE(0x02014b50, 0);
    dir.writeUInt16LE(0x0314, 4); // made by: Unix, zip 2.0
    dir.writeUInt16LE(20, 6);
    dir.writeUInt16LE(0, 8);
    dir.writeUInt16LE(8, 10);
    dir.writeUInt16LE(dosTime, 12);
    dir.writeUInt16LE(dosDate, 14);
    dir.writeUInt32LE(crc, 16);
    dir.writeUInt32LE(packed.length, 20);
    dir.writeUInt32LE(f.data.length, 24);
    dir.writeUInt16LE(name.length, 28);
    dir.writeUInt32LE((0o100644 << 16) >>> 0, 38); // regular file, rw-r--r--
    dir.writeUInt32LE(offset, 42);
    central.push(dir, name);
    offset += local.length + name.length + packed.length;
  }
  const centralSize = central.reduce((s, b) => s + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, Buffer.concat([...parts, ...central, end]));
}

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';

const src = join(import.meta.dirname, '../../src');

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Every module specifier a file imports (static and dynamic). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs: string[] = [];
  for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)'([^']+)'/g)) specs.push(m[1]!);
  return specs;
}

/** Fronts translate their protocol into pipeline calls: sinks come only from the pipeline. */
describe('front boundaries', () => {
  for (const front of ['server', 'lambda', 'cli']) {
    it(`nothing in src/${front} imports a sink module or buildSinks`, () => {
      const files = filesUnder(join(src, front));
      assert.ok(files.length > 0);
      const offending: string[] = [];
      for (const file of files) {
        const name = relative(src, file);
        for (const spec of importsOf(file)) {
          // A sink's option specs (its flags, e.g. the store's --db) are not the sink.
          if (/(^|\/)sinks\//.test(spec) && !spec.endsWith('/options.js')) {
            offending.push(`${name} imports ${spec}`);
          }
        }
        if (/\bbuildSinks\b/.test(readFileSync(file, 'utf8'))) offending.push(`${name} uses buildSinks`);
      }
      assert.deepEqual(offending, []);
    });
  }
});

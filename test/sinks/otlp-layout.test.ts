import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as layout from '../../asm/lib/otlp-lines-layout.js';

/**
 * The line transcoder's memory layout has one source, asm/lib/otlp-lines-layout.ts: the
 * WebAssembly module and the TypeScript side both import it and neither spells an offset of its
 * own, the built module is the one that source compiles to (a stale dist/wasm would read other
 * offsets than the TypeScript side writes), and the configuration words do not overlap.
 */

const root = join(import.meta.dirname, '../..');
const read = (path: string): string => readFileSync(join(root, path), 'utf8');

describe('the OTLP line transcoder memory layout', () => {
  it('is declared once: both sides import it and define no offset of their own', () => {
    for (const path of ['asm/otlp-lines.ts', 'src/sinks/otlp/line-transcoder.ts']) {
      const source = read(path);
      assert.match(source, /from '(\.\/lib|\.\.\/\.\.\/\.\.\/asm\/lib)\/otlp-lines-layout(\.js)?'/, path);
      assert.doesNotMatch(source, /^(export )?const (C|G)_[A-Z0-9_]+\b/m, `${path} declares an offset`);
    }
  });

  it('the built module is what the layout source compiles to', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowlens-layout-'));
    try {
      const out = join(dir, 'otlp-lines.wasm');
      // the settings of scripts/build-wasm.mjs
      execFileSync(
        process.execPath,
        [
          join(root, 'node_modules/assemblyscript/bin/asc.js'),
          'asm/otlp-lines.ts',
          '-O3',
          '--noAssert',
          '--runtime',
          'stub',
          '--enable',
          'simd',
          '--outFile',
          out,
        ],
        { cwd: root },
      );
      assert.deepEqual(readFileSync(out), readFileSync(join(root, 'dist/wasm/otlp-lines.wasm')));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('configuration words and group words do not overlap', () => {
    /** Bytes of the configuration entries wider than one u32 word (see the layout's comments). */
    const wide: Record<string, number> = {
      C_AREAS: 8,
      C_LINENO: 8,
      C_OBSERVED: 8,
      C_SEV_INFO: 8,
      C_SEV_WARN: 8,
      C_FAMILY4: 8,
      C_FAMILY6: 8,
      C_SRC_KEY: 8,
      C_DST_KEY: 8,
      G_ACCOUNT: 8,
      G_REGION: 8,
    };
    for (const prefix of ['C_', 'G_']) {
      const entries = Object.entries(layout)
        .filter(([name]) => name.startsWith(prefix) && name !== 'G_BYTES')
        .sort((a, b) => a[1] - b[1]);
      assert.ok(entries.length > 5);
      for (let k = 1; k < entries.length; k++) {
        const [prev, at] = entries[k - 1]!;
        const [name, next] = entries[k]!;
        assert.ok(at + (wide[prev] ?? 4) <= next, `${prev} (${at}) overlaps ${name} (${next})`);
        assert.equal(next % 4, 0, `${name} is word-aligned`);
      }
      if (prefix === 'G_') assert.ok(entries.at(-1)![1] + 4 <= layout.G_BYTES);
    }
  });
});

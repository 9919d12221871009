import { findField } from '../../src/fields/catalog.js';

/** A deliberately simple reading of generated text, independent of the project's decoders. */
export interface TextTally {
  records: number;
  ok: number;
  nodata: number;
  skipdata: number;
  malformed: number;
  accept: { records: number; bytes: number; packets: number };
  reject: { records: number; bytes: number; packets: number };
}

const NUMBER_OR_NULL = /^(\d+|-)$/;

/** Tallies record lines (no header) against a field list, the way the ground truth counts them. */
export function tallyLines(lines: readonly string[], fieldNames: readonly string[]): TextTally {
  const t: TextTally = {
    records: 0,
    ok: 0,
    nodata: 0,
    skipdata: 0,
    malformed: 0,
    accept: { records: 0, bytes: 0, packets: 0 },
    reject: { records: 0, bytes: 0, packets: 0 },
  };
  const numeric = fieldNames.map((n) => (findField(n)?.type ?? 'string') !== 'string');
  const at = (name: string) => fieldNames.indexOf(name);
  const [iStatus, iAction, iBytes, iPackets] = [at('log-status'), at('action'), at('bytes'), at('packets')];
  for (const line of lines) {
    t.records++;
    const tokens = line.split(' ');
    const bad =
      tokens.length !== fieldNames.length ||
      tokens.some((v, k) => numeric[k] && !NUMBER_OR_NULL.test(v)) ||
      /[^\x20-\x7e]/.test(line);
    if (bad) {
      t.malformed++;
      continue;
    }
    const status = iStatus >= 0 ? tokens[iStatus] : 'OK';
    if (status === 'NODATA') t.nodata++;
    else if (status === 'SKIPDATA') t.skipdata++;
    else {
      t.ok++;
      const a = iAction >= 0 && tokens[iAction] === 'REJECT' ? t.reject : t.accept;
      a.records++;
      a.bytes += Number(tokens[iBytes]);
      a.packets += Number(tokens[iPackets]);
    }
  }
  return t;
}

/** Rows of a generated text file as objects keyed by hyphenated field name. */
export function rowsOf(lines: readonly string[], fieldNames: readonly string[]): Record<string, string>[] {
  return lines.map((line) => {
    const tokens = line.split(' ');
    const row: Record<string, string> = {};
    fieldNames.forEach((n, k) => {
      row[n] = tokens[k]!;
    });
    return row;
  });
}

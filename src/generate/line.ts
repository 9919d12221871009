import { FIELDS, type FieldDef } from '../fields/catalog.js';
import type { Rng } from './random.js';
import type { FlowRecord } from './record.js';

/** Formats the shared FlowRecord as one text line in a given field order (`-` for null). */
export class LineFormatter {
  /** Catalog index of each output field; -1 for a field the catalog does not know (always `-`). */
  private readonly slots: Int32Array;
  private readonly numeric: Uint8Array;
  /** Output positions of the number fields, for the "non-numeric number" malformation. */
  readonly numericPositions: readonly number[];

  constructor(readonly fields: readonly FieldDef[]) {
    this.slots = new Int32Array(fields.length);
    this.numeric = new Uint8Array(fields.length);
    const positions: number[] = [];
    fields.forEach((f, k) => {
      this.slots[k] = f.known ? FIELDS.findIndex((c) => c.name === f.name) : -1;
      this.numeric[k] = f.type === 'string' ? 0 : 1;
      if (f.type !== 'string') positions.push(k);
    });
    this.numericPositions = positions;
  }

  format(rec: FlowRecord): string {
    const slots = this.slots;
    const numeric = this.numeric;
    const str = rec.str;
    const num = rec.num;
    let line = '';
    for (let k = 0; k < slots.length; k++) {
      if (k > 0) line += ' ';
      const slot = slots[k]!;
      if (slot < 0) {
        line += '-';
      } else if (numeric[k] === 1) {
        const v = num[slot]!;
        line += Number.isNaN(v) ? '-' : String(v);
      } else {
        line += str[slot] ?? '-';
      }
    }
    return line;
  }
}

const NOT_A_NUMBER = ['12a', 'n/a', 'abc', '1,024', '#', '?x', 'null!', 'ten'];

/**
 * Breaks a well-formed line in one of several ways a decoder must catch: a wrong field count
 * (a field missing, an extra one, a truncated line), a non-numeric value in a number field,
 * or a line of junk (control characters and U+0080–U+00FF: raw high bytes in latin1 text output,
 * valid Unicode inside CloudWatch JSON).
 */
export function malformLine(
  line: string,
  fieldCount: number,
  numericPositions: readonly number[],
  rng: Rng,
): string {
  const variant = rng.int(4);
  if (variant === 1 && numericPositions.length > 0) {
    const tokens = line.split(' ');
    tokens[rng.pick(numericPositions)] = rng.pick(NOT_A_NUMBER);
    return tokens.join(' ');
  }
  if (variant === 2) return junk(fieldCount, rng);
  if (variant === 3 && fieldCount > 1) {
    // truncated: keep 1..n−1 whole fields
    const tokens = line.split(' ');
    return tokens.slice(0, rng.range(1, fieldCount - 1)).join(' ');
  }
  // wrong field count: one field missing, or one too many
  if (fieldCount > 1 && rng.chance(0.5)) return line.slice(0, line.lastIndexOf(' '));
  return `${line} ${rng.pick(['-', '0', 'extra'])}`;
}

/** Junk bytes with no separator (one token; two when a record has a single field). */
function junk(fieldCount: number, rng: Rng): string {
  const length = rng.range(8, 60);
  let s = '';
  for (let i = 0; i < length; i++) {
    // control bytes other than tab/newline/CR, and high bytes: never a separator
    s += rng.chance(0.2) ? String.fromCharCode(rng.range(1, 8)) : String.fromCharCode(rng.range(0x80, 0xff));
  }
  if (fieldCount === 1) s = `${s.slice(0, 4)} ${s.slice(4)}`;
  return s;
}

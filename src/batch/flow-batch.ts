import type { FieldDef } from '../fields/catalog.js';

/**
 * FlowBatch: the one currency between pipeline stages. Columnar, so decoders fill typed
 * arrays and sinks read them without a per-record object on the hot path.
 *
 * - numbers (int32/int64 fields, floats of enrichers): Float64Array, NaN is null (`-`).
 *   int64 values stay exact up to 2^53, far above any bytes/packets count of one interval.
 * - strings: dictionary-encoded per batch; code 0 is null, dict[code] the value. Repeated
 *   values (account, ENI, action, status…) are stored once per batch.
 * - lists (e.g. TCP flag names): one array per row, null for none.
 */
export interface NumColumn {
  readonly kind: 'num';
  readonly values: Float64Array;
  /** How the values were spread over the rows from per-address values (the geo enricher). */
  readonly spread?: ColumnSpread;
}

export interface StrColumn {
  readonly kind: 'str';
  readonly codes: Uint32Array;
  /** dict[0] is an unused placeholder for null. */
  readonly dict: readonly string[];
  /** The decoder's stable numbers for the dictionary's strings (text decoded by the line scanner). */
  readonly keys?: DictKeys;
  /**
   * Five big-endian SHA-1 words per dictionary code d, at 5d (the community-id enricher's
   * column): consumers that keep ids as numbers (the store) read them instead of the base64.
   */
  readonly digests?: Uint32Array;
  /** How the codes were spread over the rows from per-address codes (the geo enricher). */
  readonly spread?: ColumnSpread;
  /** The dictionary's strings as bytes, where they are ASCII of one width (ids made by enrichers). */
  readonly fixedText?: FixedWidthText;
}

/**
 * Stable numbers for the strings of a decoded dictionary. The WebAssembly line scanner interns
 * each string column's values in a table that lives across batches (and streams), so the same
 * value comes back as the same table entry batch after batch: `keys[code]` is 1 + that entry
 * (0 when the value did not come from the table, e.g. a line the JavaScript decoder parsed),
 * and `space` names the table's contents: while `space` is the same object, the same key is the
 * same string. A consumer that keeps per-value work by key (the enrichers' address table) finds
 * a value with an array read instead of hashing its text. After a thread hop `space` is a copy,
 * new with every message: the keys stay right, only less is found again.
 */
export interface DictKeys {
  readonly space: object;
  readonly keys: Uint32Array;
}

/**
 * A column whose row i holds `of[rowIds[i]]`: values per distinct address spread over the rows.
 * Columns spread over the same rows share one `rowIds`; the store codes such columns per address.
 */
export interface ColumnSpread {
  readonly rowIds: Uint32Array;
  readonly of: Uint32Array | Float64Array;
}

/**
 * The strings of a dictionary as they were made, before becoming strings: `dict[c]` (c ≥ 1) is
 * the ASCII text `bytes[(c − 1) · width, c · width)`. Writers that emit the text (the OTLP
 * sink) copy these bytes instead of encoding each string again.
 */
export interface FixedWidthText {
  readonly bytes: Uint8Array;
  readonly width: number;
}

export interface ListColumn {
  readonly kind: 'list';
  readonly values: readonly (readonly string[] | null)[];
}

export type Column = NumColumn | StrColumn | ListColumn;
export type CellValue = string | number | readonly string[] | null;

/** Where a batch came from: a file path, `s3://bucket/key`, `cwl:<group>/<stream>`, `firehose:<requestId>`, `-`. */
export interface SourceRef {
  readonly id: string;
  /** Extra provenance a schema may surface (log group/stream, bucket/key, CloudWatch owner). */
  readonly context?: Readonly<Record<string, string>>;
}

/**
 * The bytes of each record line as the source wrote them, where the decoder had them (text
 * files, CloudWatch and Firehose records). One contiguous copy per batch: row i is
 * `bytes[starts[i], ends[i])`, without leading blanks, trailing blanks, CR or newline.
 * Sinks that ship the original line (the OTLP body) copy it in one piece.
 */
export interface LineText {
  readonly bytes: Uint8Array;
  readonly starts: Uint32Array;
  readonly ends: Uint32Array;
}

/**
 * Records a sink already wrote in its own format while decoding (the OTLP sink's LogRecords,
 * see LineTranscoder): such a batch keeps only the columns that tell its resources apart
 * (account, region), and only that sink reads it. Its rows come one resource after another,
 * a part per resource.
 */
export interface EncodedRecords {
  /** What the bytes are: `otlp/log-records` (ScopeLogs.log_records fields, back to back). */
  readonly format: string;
  /** Each resource's records, in row order; valid until `release` is called, or for good without it. */
  readonly parts: readonly Uint8Array[];
  /** Rows of each part: part i holds the rows after those of parts 0 … i − 1. */
  readonly rows: readonly number[];
  /** The reader is done with `parts`: the writer may reuse their memory. */
  release?(): void;
}

export class FlowBatch {
  /** Enrichment columns by name (`protocol_name`, `flow_class`, …), added by enrichers. */
  readonly extra = new Map<string, Column>();
  private index: Map<string, number> | undefined;

  constructor(
    /** The record fields of this batch, in input order. */
    readonly fields: readonly FieldDef[],
    /** Parallel to `fields`. */
    readonly columns: readonly Column[],
    readonly length: number,
    readonly source: SourceRef,
    /** Position of each record in its source: 1-based line number (text) or row/event index. */
    readonly positions: Float64Array,
    /** Source-native record ids where the source has them (CloudWatch log event ids). */
    readonly recordIds?: readonly string[],
    /** The original line of each row, when the decoder kept it (batches built otherwise have none). */
    readonly text?: LineText,
    /** The records already encoded by a sink's line transcoder (then `fields` are only the shared ones). */
    readonly encoded?: EncodedRecords,
  ) {}

  /** The column of a record field (snake_case name) or of an enrichment, or undefined. */
  column(name: string): Column | undefined {
    if (!this.index) {
      this.index = new Map();
      for (let i = 0; i < this.fields.length; i++) this.index.set(this.fields[i]!.column, i);
    }
    const i = this.index.get(name);
    return i === undefined ? this.extra.get(name) : this.columns[i];
  }

  has(name: string): boolean {
    return this.column(name) !== undefined;
  }

  /** Numeric value at row i, or null (absent column, `-`, or not a number column). */
  num(name: string, i: number): number | null {
    return numAt(this.column(name), i);
  }

  /** String value at row i, or null. */
  str(name: string, i: number): string | null {
    return strAt(this.column(name), i);
  }

  /** The canonical `raw` record of row i: snake_case record fields, then enrichment columns. */
  row(i: number): Record<string, CellValue> {
    const out: Record<string, CellValue> = {};
    for (let c = 0; c < this.fields.length; c++) out[this.fields[c]!.column] = cellAt(this.columns[c]!, i);
    for (const [name, col] of this.extra) out[name] = cellAt(col, i);
    return out;
  }

  /**
   * Row i as the record line AWS wrote: the original line when the batch carries it, else the
   * fields in input order, space-separated, `-` for null.
   */
  line(i: number): string {
    const text = this.text;
    if (text !== undefined) {
      const b = text.bytes;
      return Buffer.from(b.buffer, b.byteOffset, b.length).toString('utf8', text.starts[i], text.ends[i]);
    }
    let s = '';
    for (let c = 0; c < this.columns.length; c++) {
      const v = cellAt(this.columns[c]!, i);
      if (c > 0) s += ' ';
      s += v === null ? '-' : String(v);
    }
    return s;
  }
}

export function numAt(col: Column | undefined, i: number): number | null {
  if (col?.kind !== 'num') return null;
  const v = col.values[i]!;
  return Number.isNaN(v) ? null : v;
}

export function strAt(col: Column | undefined, i: number): string | null {
  if (!col) return null;
  if (col.kind === 'str') {
    const code = col.codes[i]!;
    return code === 0 ? null : col.dict[code]!;
  }
  if (col.kind === 'num') {
    const v = col.values[i]!;
    return Number.isNaN(v) ? null : String(v);
  }
  const l = col.values[i];
  return l ? l.join(',') : null;
}

export function cellAt(col: Column, i: number): CellValue {
  if (col.kind === 'num') {
    const v = col.values[i]!;
    return Number.isNaN(v) ? null : v;
  }
  if (col.kind === 'str') {
    const code = col.codes[i]!;
    return code === 0 ? null : col.dict[code]!;
  }
  return col.values[i] ?? null;
}

/** Builds a dictionary-encoded string column one value at a time. */
export class StrColumnBuilder {
  readonly codes: Uint32Array;
  readonly dict: string[] = [''];
  private readonly lookup = new Map<string, number>();

  constructor(capacity: number) {
    this.codes = new Uint32Array(capacity);
  }

  set(row: number, value: string | null): void {
    if (value === null) {
      this.codes[row] = 0;
      return;
    }
    let code = this.lookup.get(value);
    if (code === undefined) {
      code = this.dict.length;
      this.dict.push(value);
      this.lookup.set(value, code);
    }
    this.codes[row] = code;
  }

  build(length: number): StrColumn {
    return {
      kind: 'str',
      codes: length === this.codes.length ? this.codes : this.codes.slice(0, length),
      dict: this.dict,
    };
  }
}

/** A number column of `length` rows, all null. */
export function numColumn(length: number): NumColumn {
  return { kind: 'num', values: new Float64Array(length).fill(Number.NaN) };
}

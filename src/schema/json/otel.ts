import type { FlowBatch, StrColumn } from '../../batch/flow-batch.js';
import type { AttributeWriter, OtelColumnOp, OtelMapping, OtelPlanner, OtelStrSource } from '../types.js';
import { JsonBytes, keyBytes, utf8 } from './bytes.js';
import { type CellMember, ListFragments, StrFragments } from './cells.js';
import { textColumn } from './columns.js';
import type { RowJson } from './compile.js';

/** Attributes written as members of the flat OTel document (keys encoded once each). */
class JsonAttributes implements AttributeWriter {
  out = new JsonBytes(0);
  private readonly keys = new Map<string, Buffer>();

  private key(k: string): void {
    let b = this.keys.get(k);
    if (b === undefined) {
      b = keyBytes(k);
      this.keys.set(k, b);
    }
    this.out.member(b);
  }
  str(key: string, value: string): void {
    this.key(key);
    this.out.str(value);
  }
  int(key: string, value: number): void {
    this.key(key);
    this.out.num(value);
  }
  dbl(key: string, value: number): void {
    this.key(key);
    this.out.num(value);
  }
  bool(key: string, value: boolean): void {
    this.key(key);
    this.out.ascii(value ? 'true' : 'false');
  }
  strArray(key: string, values: readonly string[]): void {
    this.key(key);
    this.out.frag(utf8(JSON.stringify(values)));
  }
}

/**
 * The flat OTel document (`otelDocumentSchema().document`) compiled for one batch: the mapping's
 * per-batch plan (the OTLP encoders' too), each dictionary value's member encoded once per code;
 * the mapping's visitor writes the rules the plan leaves per row, and whole rows of a batch the
 * mapping cannot plan.
 */
export function compileOtel(batch: FlowBatch, mapping: OtelMapping & OtelPlanner): RowJson {
  const attributes = new JsonAttributes();
  const resource = resourceMembers(batch);
  const plan = mapping.plan(batch);
  const K = {
    time: keyBytes('time'),
    severityNumber: keyBytes('severity_number'),
    severityText: keyBytes('severity_text'),
    body: keyBytes('body'),
  };
  if (plan === null) {
    return (out, i) => {
      out.begin(0x7b);
      const t = mapping.timeSeconds(batch, i);
      if (t !== null) {
        out.member(K.time);
        out.time(t);
      }
      out.member(K.severityNumber);
      out.num(mapping.severityNumber(batch, i));
      out.member(K.severityText);
      out.str(mapping.severityText(batch, i));
      const b = mapping.body(batch, i);
      if (b !== null) {
        out.member(K.body);
        out.str(b);
      }
      for (let m = 0; m < resource.length; m++) resource[m]!(out, i);
      attributes.out = out;
      mapping.attributes(batch, i, attributes);
      out.end(0x7d);
    };
  }
  const severity = plan.severity;
  const severityOf = (value: string | null): Buffer =>
    utf8(
      `"severity_number":${JSON.stringify(severity.number(value))},"severity_text":${JSON.stringify(severity.text(value))}`,
    );
  const severityNull = severityOf(null);
  const severityByCode = severity.column
    ? severity.column.dict.map((v, c) => (c === 0 ? severityNull : severityOf(v)))
    : undefined;
  const times = plan.time;
  const body = bodyMember(batch, plan.body);
  const ops = plan.attributes.map((op) => opMember(op, attributes));

  return (out, i) => {
    out.begin(0x7b);
    for (let k = 0; k < times.length; k++) {
      const t = times[k]![i]!;
      if (!Number.isNaN(t)) {
        out.member(K.time);
        out.time(t);
        break;
      }
    }
    out.comma();
    out.frag(severityByCode ? severityByCode[severity.column!.codes[i]!]! : severityNull);
    body(out, i);
    for (let m = 0; m < resource.length; m++) resource[m]!(out, i);
    for (let m = 0; m < ops.length; m++) ops[m]!(out, i);
    out.end(0x7d);
  };
}

/** The resource attributes: cloud.provider, the account and region of the row, the source's context. */
function resourceMembers(batch: FlowBatch): CellMember[] {
  const members: CellMember[] = [];
  const provider = utf8('"cloud.provider":"aws"');
  members.push((out) => {
    out.comma();
    out.frag(provider);
  });
  for (const [column, key] of [
    ['account_id', 'cloud.account.id'],
    ['region', 'cloud.region'],
  ] as const) {
    const col = textColumn(batch, column);
    if (col) members.push(codeMember(new StrFragments(col, keyBytes(key)), col));
  }
  const ctx = batch.source.context;
  const fixed: Record<string, unknown> = {};
  if (ctx?.logGroup) fixed['aws.log.group.names'] = [ctx.logGroup];
  if (ctx?.logStream) fixed['aws.log.stream.names'] = [ctx.logStream];
  if (ctx?.bucket) fixed['aws.s3.bucket'] = ctx.bucket;
  if (ctx?.key) fixed['aws.s3.key'] = ctx.key;
  if (Object.keys(fixed).length > 0) {
    const bytes = utf8(JSON.stringify(fixed).slice(1, -1));
    members.push((out) => {
      out.comma();
      out.frag(bytes);
    });
  }
  return members;
}

/** A dictionary column's fragment for the row's code; nothing for null. */
function codeMember(f: StrFragments, col: StrColumn): CellMember {
  const codes = col.codes;
  return (out, i) => {
    const code = codes[i]!;
    if (code === 0) return;
    out.comma();
    f.write(out, code);
  };
}

/** `body`: the record line (copied from the source's bytes when they are plain ASCII), a text, or none. */
function bodyMember(
  batch: FlowBatch,
  plan: NonNullable<ReturnType<OtelPlanner['plan']>>['body'],
): CellMember {
  const key = keyBytes('body');
  if (plan.kind === 'none') return () => undefined;
  if (plan.kind === 'text') {
    const text = plan.text;
    return (out, i) => {
      const t = text(i);
      if (t === null) return;
      out.member(key);
      out.str(t);
    };
  }
  const lines = batch.text;
  return (out, i) => {
    out.member(key);
    if (lines !== undefined) {
      const b = lines.bytes;
      const s = lines.starts[i]!;
      const e = lines.ends[i]!;
      let plain = true;
      for (let k = s; k < e; k++) {
        const c = b[k]!;
        if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) {
          plain = false;
          break;
        }
      }
      if (plain) {
        out.byte(0x22);
        out.bytes(b, s, e);
        out.byte(0x22);
        return;
      }
    }
    out.str(batch.line(i));
  };
}

/** One plan operation as a document member (or several, for a per-row rule). */
function opMember(op: OtelColumnOp, attributes: JsonAttributes): CellMember {
  switch (op.kind) {
    case 'str': {
      const sources = op.sources.map((s) => sourceFragments(s));
      const columns = op.sources.map((s) => s.column);
      return (out, i) => {
        for (let k = 0; k < columns.length; k++) {
          const code = columns[k]!.codes[i]!;
          if (code === 0) continue;
          sources[k]!(out, code);
          return;
        }
      };
    }
    case 'int':
    case 'dbl': {
      const key = keyBytes(op.key);
      const values = op.values;
      return (out, i) => {
        const v = values[i]!;
        if (Number.isNaN(v)) return;
        out.member(key);
        out.num(v);
      };
    }
    case 'numText': {
      const key = keyBytes(op.key);
      const values = op.values;
      const override = op.override ? new StrFragments(op.override, key) : undefined;
      const codes = op.override?.codes;
      const text = op.text;
      const made = new Map<number, Buffer | null>();
      return (out, i) => {
        const v = values[i]!;
        if (Number.isNaN(v)) return;
        if (codes !== undefined && codes[i] !== 0) {
          out.comma();
          override!.write(out, codes[i]!);
          return;
        }
        let b = made.get(v);
        if (b === undefined) {
          const t = text(v);
          b = t === null ? null : utf8(JSON.stringify(t));
          made.set(v, b);
        }
        if (b === null) return;
        out.member(key);
        out.frag(b);
      };
    }
    case 'pick': {
      const key = keyBytes(op.key);
      const frags = op.columns.map((c) => new StrFragments(c, key));
      const columns = op.columns;
      const choose = op.choose;
      return (out, i) => {
        const k = choose(i);
        if (k < 0) return;
        const code = columns[k]!.codes[i]!;
        if (code === 0) return;
        out.comma();
        frags[k]!.write(out, code);
      };
    }
    case 'strList': {
      const key = keyBytes(op.key);
      const lists = new ListFragments({ kind: 'list', values: op.values });
      return (out, i) => {
        const values = op.values[i];
        if (values === null || values === undefined) return;
        out.member(key);
        lists.write(out, i);
      };
    }
    case 'row':
      return (out, i) => {
        attributes.out = out;
        op.write(i, attributes);
      };
  }
}

/** Writes a source's member for a non-null code: `"key":"value"`, or its entry's (none: nothing). */
function sourceFragments(source: OtelStrSource): (out: JsonBytes, code: number) => void {
  const entry = source.entry;
  if (entry === undefined) {
    const f = new StrFragments(source.column, keyBytes(source.key));
    return (out, code) => {
      out.comma();
      f.write(out, code);
    };
  }
  const made: (Buffer | null | undefined)[] = new Array(source.column.dict.length);
  const dict = source.column.dict;
  return (out, code) => {
    let b = made[code];
    if (b === undefined) {
      const kv = entry(dict[code]!);
      b = kv === null ? null : utf8(`${JSON.stringify(kv[0])}:${JSON.stringify(kv[1])}`);
      made[code] = b;
    }
    if (b === null) return;
    out.comma();
    out.frag(b);
  };
}

/**
 * Reads the few protobuf messages a server answers with: ExportLogsServiceResponse (partial
 * success) and google.rpc.Status (error message, RetryInfo). Field numbers: spec sheet F.4.
 */

interface Field {
  readonly no: number;
  readonly wire: number;
  /** varint value, or the payload for length-delimited fields. */
  readonly num: number;
  readonly bytes?: Uint8Array;
}

function* fields(buf: Uint8Array): Generator<Field> {
  let pos = 0;
  const varint = (): number => {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (pos >= buf.length) throw new Error('truncated varint');
      const b = buf[pos++]!;
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return result;
      mul *= 128;
    }
    throw new Error('bad varint');
  };
  while (pos < buf.length) {
    const tag = varint();
    const no = Math.floor(tag / 8);
    const wire = tag & 7;
    if (wire === 0) yield { no, wire, num: varint() };
    else if (wire === 1) {
      pos += 8;
      yield { no, wire, num: 0 };
    } else if (wire === 5) {
      pos += 4;
      yield { no, wire, num: 0 };
    } else if (wire === 2) {
      const len = varint();
      if (pos + len > buf.length) throw new Error('truncated field');
      yield { no, wire, num: len, bytes: buf.subarray(pos, pos + len) };
      pos += len;
    } else throw new Error(`unsupported wire type ${wire}`);
  }
}

const utf8 = new TextDecoder();

export interface PartialSuccess {
  readonly rejected: number;
  readonly message: string;
}

/** The partial_success of a protobuf ExportLogsServiceResponse, or undefined when unset. */
export function protoPartialSuccess(body: Uint8Array): PartialSuccess | undefined {
  try {
    for (const f of fields(body)) {
      if (f.no !== 1 || !f.bytes) continue;
      let rejected = 0;
      let message = '';
      for (const p of fields(f.bytes)) {
        if (p.no === 1 && p.wire === 0) rejected = p.num;
        else if (p.no === 2 && p.bytes) message = utf8.decode(p.bytes);
      }
      return rejected || message ? { rejected, message } : undefined;
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/** The partialSuccess of an OTLP/JSON response body, or undefined. */
export function jsonPartialSuccess(body: Uint8Array): PartialSuccess | undefined {
  if (body.length === 0) return undefined;
  try {
    const parsed = JSON.parse(utf8.decode(body)) as {
      partialSuccess?: { rejectedLogRecords?: string | number; errorMessage?: string };
    };
    const p = parsed.partialSuccess;
    if (!p) return undefined;
    const rejected = Number(p.rejectedLogRecords ?? 0);
    const message = p.errorMessage ?? '';
    return rejected || message ? { rejected, message } : undefined;
  } catch {
    return undefined;
  }
}

export interface RpcStatus {
  readonly code: number;
  readonly message: string;
  /** RetryInfo.retry_delay in ms, when a detail carries one. */
  readonly retryDelayMs?: number;
}

const RETRY_INFO = 'type.googleapis.com/google.rpc.RetryInfo';

/** Decodes a google.rpc.Status (protobuf), or undefined if it is not one. */
export function protoStatus(body: Uint8Array): RpcStatus | undefined {
  try {
    let code = 0;
    let message = '';
    let retryDelayMs: number | undefined;
    for (const f of fields(body)) {
      if (f.no === 1 && f.wire === 0) code = f.num;
      else if (f.no === 2 && f.bytes) message = utf8.decode(f.bytes);
      else if (f.no === 3 && f.bytes) {
        // google.protobuf.Any{type_url = 1, value = 2}
        let type = '';
        let value: Uint8Array | undefined;
        for (const a of fields(f.bytes)) {
          if (a.no === 1 && a.bytes) type = utf8.decode(a.bytes);
          else if (a.no === 2 && a.bytes) value = a.bytes;
        }
        if (type === RETRY_INFO && value) retryDelayMs = retryInfoDelay(value);
      }
    }
    return { code, message, ...(retryDelayMs !== undefined ? { retryDelayMs } : {}) };
  } catch {
    return undefined;
  }
}

/** RetryInfo{retry_delay: Duration{seconds = 1, nanos = 2}} → ms. */
function retryInfoDelay(value: Uint8Array): number {
  let ms = 0;
  for (const f of fields(value)) {
    if (f.no !== 1 || !f.bytes) continue;
    for (const d of fields(f.bytes)) {
      if (d.no === 1 && d.wire === 0) ms += d.num * 1000;
      else if (d.no === 2 && d.wire === 0) ms += Math.round(d.num / 1e6);
    }
  }
  return ms;
}

/** The server's message from an error body: a google.rpc.Status in protobuf or JSON, else the text. */
export function errorMessage(body: Uint8Array, contentType: string | undefined): string {
  if (body.length === 0) return '';
  if (contentType?.includes('protobuf')) {
    const s = protoStatus(body);
    if (s?.message) return s.message;
  }
  const text = utf8.decode(body);
  try {
    const parsed = JSON.parse(text) as { message?: unknown; error?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // not JSON: the text itself
  }
  if (!contentType?.includes('protobuf')) return text;
  return '';
}

/**
 * What one Firehose record holds (spec sheet D.1, D.3): flow-log line(s), bare or wrapped as
 * `{"message": "<line>"}`, or a CloudWatch Logs subscription payload (gzip, or already
 * decompressed JSON when the stream decompresses).
 */
export type FirehoseRecordContent =
  | { readonly kind: 'lines'; readonly text: string }
  | { readonly kind: 'payload'; readonly bytes: Uint8Array }
  | { readonly kind: 'empty' }
  | { readonly kind: 'invalid'; readonly error: string };

export function firehoseRecordContent(data: Uint8Array): FirehoseRecordContent {
  if (data.length === 0) return { kind: 'empty' };
  if (data[0] === 0x1f && data[1] === 0x8b) return { kind: 'payload', bytes: data };
  let i = 0;
  while (i < data.length && (data[i] === 0x20 || data[i] === 0x0a || data[i] === 0x0d || data[i] === 0x09))
    i++;
  if (i === data.length) return { kind: 'empty' };
  const text = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
  if (data[i] !== 0x7b /* { */) return { kind: 'lines', text: stripNewlines(text) };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return { kind: 'invalid', error: `not JSON (${(err as Error).message})` };
  }
  const obj = parsed as Record<string, unknown>;
  if (Array.isArray(obj.logEvents) || typeof obj.messageType === 'string')
    return { kind: 'payload', bytes: data };
  if (typeof obj.message === 'string') {
    const line = stripNewlines(obj.message);
    return line ? { kind: 'lines', text: line } : { kind: 'empty' };
  }
  return { kind: 'invalid', error: 'JSON record without "message" or "logEvents"' };
}

function stripNewlines(s: string): string {
  return s.replace(/[\r\n]+$/, '');
}

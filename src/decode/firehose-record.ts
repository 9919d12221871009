/**
 * What one Firehose record holds (spec sheet D.1, D.3): flow-log line(s), bare or wrapped as
 * `{"message": "<line>"}`, or a CloudWatch Logs subscription payload (gzip, or already
 * decompressed JSON when the stream decompresses). The one classifier of Firehose records:
 * the HTTP endpoint and the Lambda transformation both go through it.
 */
export type FirehoseRecordContent =
  /** Record line(s) as UTF-8: a view of the record's own bytes when bare, blanks before and CR/LF after left out. */
  | { readonly kind: 'lines'; readonly bytes: Uint8Array }
  | { readonly kind: 'payload'; readonly bytes: Uint8Array }
  | { readonly kind: 'empty' }
  | { readonly kind: 'invalid'; readonly error: string };

export function firehoseRecordContent(data: Uint8Array): FirehoseRecordContent {
  if (data.length === 0) return { kind: 'empty' };
  if (data[0] === 0x1f && data[1] === 0x8b) return { kind: 'payload', bytes: data };
  let i = 0;
  while (i < data.length && isBlank(data[i]!)) i++;
  if (i === data.length) return { kind: 'empty' };
  if (data[i] !== 0x7b /* { */) {
    // Leading blanks carry nothing; a stream reader would give up looking past a long run of them.
    // The bytes stay where they are (no string): the HTTP endpoint copies them once into its input.
    let end = data.length;
    while (end > i && (data[end - 1] === 0x0a || data[end - 1] === 0x0d)) end--;
    return { kind: 'lines', bytes: data.subarray(i, end) };
  }
  const text = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
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
    const line = stripTrailingNewlines(obj.message);
    return line ? { kind: 'lines', bytes: Buffer.from(line, 'utf8') } : { kind: 'empty' };
  }
  return { kind: 'invalid', error: 'JSON record without "message" or "logEvents"' };
}

function isBlank(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

/**
 * The text without its trailing CR/LF run. A scan from the end, linear in the run: a regex
 * anchored at `$` retries from every CR/LF of a long run and takes time quadratic in it.
 */
export function stripTrailingNewlines(s: string): string {
  let end = s.length;
  while (end > 0) {
    const c = s.charCodeAt(end - 1);
    if (c !== 0x0a && c !== 0x0d) break;
    end--;
  }
  return end === s.length ? s : s.slice(0, end);
}

import { constants, gunzipSync } from 'node:zlib';
import { DecodeError } from './errors.js';
import { isGzip } from './stream.js';

/**
 * A payload that cannot be decoded (bad base64, damaged gzip, JSON cut off or invalid) loses
 * every log event it holds. Its records never reach a sink (a damaged block may hold garbage
 * that looks valid), but what it lost is counted: the readable part (base64 up to its first bad
 * character, gzip up to its damage, the JSON as far as it goes) is scanned for CloudWatch Logs
 * events, so one damaged payload of 100 events counts 100 malformed records, not 1.
 */

/** Log events a damaged payload held, as far as its readable part tells. */
export interface Loss {
  readonly events: number;
  /** The whole event list was readable, so `events` is the count, not a lower bound. */
  readonly exact: boolean;
}

/**
 * Readable text recovered per salvage attempt at most: CloudWatch Logs payloads hold about
 * 1 MB of events, and the bound keeps a hostile payload's salvage cheap (a few inflates).
 */
const SALVAGE_BYTES = 4 * 1024 * 1024;

/**
 * A DecodeError for a payload that failed with `reason`: the message says what was lost, and
 * `lost` is the malformed count to add (1 when no event can be seen).
 */
export function damagedPayload(reason: string, readable: Buffer): DecodeError {
  const loss = countLogEvents(readableText(readable));
  const err = new DecodeError(`${reason}; ${lossNote(loss)}`);
  err.lost = Math.max(1, loss?.events ?? 0);
  return err;
}

/** What a damaged payload lost, for its malformed message. */
export function lossNote(loss: Loss | undefined): string {
  if (loss?.events === 0 && loss.exact) return 'it holds no log event';
  if (!loss || loss.events === 0) return 'its records cannot be counted';
  const events = loss.events === 1 ? '1 log event' : `${loss.events} log events`;
  return loss.exact ? `${events} lost` : `at least ${events} lost (the rest cannot be read)`;
}

/**
 * Strict base64 check: the index of the first character outside the alphabet (whitespace
 * aside), or of the padding or length problem; -1 when `text` is valid base64.
 */
export function base64Damage(text: string): number {
  let data = 0;
  let pad = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13) continue;
    if (c === 61) {
      if (++pad > 2) return i;
      continue;
    }
    const alphabet =
      (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 43 || c === 47;
    if (!alphabet || pad > 0) return i;
    data++;
  }
  return (data + pad) % 4 === 0 ? -1 : text.length;
}

/** Decodes strict base64, or throws the damaged-payload error naming the first bad character. */
export function strictBase64(text: string, what: string): Buffer {
  const bad = base64Damage(text);
  if (bad < 0) return Buffer.from(text, 'base64');
  const reason =
    bad < text.length
      ? `${what} is not valid base64 (${JSON.stringify(text[bad])} at character ${bad + 1})`
      : `${what} is not valid base64 (its length is not a multiple of 4: cut off?)`;
  throw damagedPayload(reason, Buffer.from(text, 'latin1'));
}

/**
 * The payload's readable text: base64 decoded with each bad character read as `A` (the
 * characters after it keep their place, so plain JSON stays readable around the damage), gzip
 * inflated up to its damage.
 */
export function readableText(bytes: Buffer): Buffer {
  let text = bytes;
  for (let depth = 0; depth < 3; depth++) {
    if (isGzip(text)) {
      text = inflatablePrefix(text);
      continue;
    }
    const s = text.toString('latin1', 0, Math.min(text.length, 8)).trimStart();
    if (!/^(H4sI|ey)/.test(s)) break;
    const b64 = text.toString('latin1', 0, Math.min(text.length, SALVAGE_BYTES * 2));
    text = Buffer.from(b64.replace(/[^A-Za-z0-9+/=\s]/g, 'A'), 'base64');
  }
  return text;
}

/**
 * The text of the longest prefix of a gzip member that inflates without error (within
 * SALVAGE_BYTES). The whole member less its trailer comes first: a member failing only its
 * CRC check is then read in full. Otherwise a binary search on the compressed length.
 */
function inflatablePrefix(gz: Buffer): Buffer {
  const inflate = (end: number): Buffer | undefined => {
    try {
      return gunzipSync(gz.subarray(0, end), {
        finishFlush: constants.Z_SYNC_FLUSH,
        maxOutputLength: SALVAGE_BYTES,
      });
    } catch {
      return undefined;
    }
  };
  const body = Math.max(10, gz.length - 8);
  const whole = inflate(body);
  if (whole) return whole;
  let good: Buffer = Buffer.alloc(0);
  let lo = 10; // the header alone inflates to nothing
  let hi = body; // fails
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    const out = inflate(mid);
    if (out) {
      good = out;
      lo = mid;
    } else hi = mid;
  }
  return good;
}

const QUOTE = 34;
const BACKSLASH = 92;
const OPEN_OBJECT = 123;
const CLOSE_OBJECT = 125;
const OPEN_ARRAY = 91;
const CLOSE_ARRAY = 93;

/**
 * The log events in (the readable start of) a CloudWatch Logs payload: the elements of its
 * `logEvents` array, counting one begun but cut off; exact when the array's end is seen.
 * Undefined when the text holds no `logEvents` array.
 */
export function countLogEvents(text: Buffer): Loss | undefined {
  const key = text.indexOf('"logEvents"');
  if (key < 0) return undefined;
  let p = key + '"logEvents"'.length;
  while (
    p < text.length &&
    (text[p] === 32 || text[p] === 58 || text[p] === 10 || text[p] === 13 || text[p] === 9)
  )
    p++;
  if (text[p] !== OPEN_ARRAY) return undefined;
  let depth = 0; // inside the array: 0 between events
  let inString = false;
  let events = 0;
  for (p++; p < text.length; p++) {
    const c = text[p]!;
    if (inString) {
      if (c === BACKSLASH) p++;
      else if (c === QUOTE) inString = false;
      continue;
    }
    if (c === QUOTE) inString = true;
    else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (depth === 0) events++;
      depth++;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      if (depth === 0) return { events, exact: true };
      depth--;
    }
  }
  return { events, exact: false };
}

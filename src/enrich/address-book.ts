import { grown } from '../batch/grown.js';
import { parseIPv4, parseIPv6 } from './ip.js';
import { classifyIPv4, classifyIPv6, NC } from './network-class.js';

/**
 * Every distinct address text met by this thread's enrichers (up to a bound), parsed and
 * classified once: an entry number per text, and per entry its family, its four big-endian
 * words and its network class. Batches of one source repeat most of their addresses, and the
 * decoders hand back the same string objects batch after batch, so a lookup here is one Map
 * probe on a string whose hash is already known, instead of a parse and a classification per
 * batch.
 *
 * When it holds more than MAX_ENTRIES it starts over (between batches only, see `startBatch`),
 * and `epoch` counts those restarts so that whoever keeps data by entry number knows when it
 * went stale.
 */
const MAX_ENTRIES = 1 << 17;

export class AddressBook {
  /** Bumped each time the book starts over: entry numbers of an older epoch mean nothing now. */
  epoch = 0;
  /** Address text by entry; entry 0 is "no address". */
  values: string[] = [''];
  /** 4, 6, or 0 for a text that is not an IP address. */
  family = new Uint8Array(1024);
  /** The address as four big-endian words (IPv4 in the first). */
  words = new Uint32Array(4096);
  /** Network class code (NC). */
  classes = new Uint8Array(1024);
  private readonly ids = new Map<string, number>();
  private readonly bytes16 = new Uint8Array(16);

  /** Called before each batch's table is built: starts over when the book is full. */
  startBatch(): void {
    if (this.values.length <= MAX_ENTRIES) return;
    this.ids.clear();
    this.values = [''];
    this.epoch++;
  }

  /** The entry of address text `s` (0 for `-` and the empty text), added when new. */
  entry(s: string): number {
    if (s === '-' || s === '') return 0;
    const known = this.ids.get(s);
    return known === undefined ? this.add(s) : known;
  }

  private add(s: string): number {
    const e = this.values.length;
    if (e >= this.family.length) this.grow(e * 2);
    this.values.push(s);
    this.ids.set(s, e);
    const w = 4 * e;
    const v4 = parseIPv4(s);
    if (v4 >= 0) {
      this.family[e] = 4;
      this.words[w] = v4;
      this.words[w + 1] = 0;
      this.words[w + 2] = 0;
      this.words[w + 3] = 0;
      this.classes[e] = classifyIPv4(v4);
      return e;
    }
    const b = this.bytes16;
    if (!parseIPv6(s, b)) {
      this.family[e] = 0;
      this.words.fill(0, w, w + 4);
      this.classes[e] = NC.none;
      return e;
    }
    this.family[e] = 6;
    for (let j = 0; j < 4; j++) {
      this.words[w + j] =
        ((b[4 * j]! << 24) | (b[4 * j + 1]! << 16) | (b[4 * j + 2]! << 8) | b[4 * j + 3]!) >>> 0;
    }
    this.classes[e] = classifyIPv6(b);
    return e;
  }

  private grow(size: number): void {
    this.family = grown(this.family, size);
    this.classes = grown(this.classes, size);
    this.words = grown(this.words, 4 * size);
  }
}

/** This thread's book, shared by every pipeline's enrichers (the facts about an address never change). */
export const ADDRESS_BOOK = new AddressBook();

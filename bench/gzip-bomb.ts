import { crc32, deflateRawSync } from 'node:zlib';

/**
 * A gzip member of `mib` MiB of `byte`, made from one deflated MiB repeated: a deflate block of
 * a run, sync-flushed, ends on a byte boundary and can follow itself, so the member is about a
 * thousandth of its inflated size and quick to build. Its CRC and length are correct.
 */
export function gzipBomb(byte: number, mib: number): Buffer {
  const chunk = Buffer.alloc(1 << 20, byte);
  const block = deflateRawSync(chunk, { level: 9, finishFlush: 2 /* Z_SYNC_FLUSH */ });
  let crc = 0;
  for (let i = 0; i < mib; i++) crc = crc32(chunk, crc);
  const header = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255]);
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc, 0);
  trailer.writeUInt32LE((mib * chunk.length) >>> 0, 4);
  const final = Buffer.from([3, 0]); // an empty final fixed-Huffman block
  return Buffer.concat([header, ...Array.from({ length: mib }, () => block), final, trailer]);
}

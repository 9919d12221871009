// The memory layout of the OTLP line transcoder (asm/otlp-lines.ts), in one place for both sides:
// the module compiles it, and src/sinks/otlp/line-transcoder.ts imports it to lay out the
// configuration block, the group table and the ops the module reads. Plain constants with
// AssemblyScript types (TypeScript knows u32 and usize as numbers: src/wasm/asm-types.d.ts).
// test/sinks/otlp-layout.test.ts checks the built module reads what this file says.

// Configuration block: u32 words unless noted.
export const C_NFIELDS: u32 = 0;
export const C_HEADERS: u32 = 4;
export const C_RUN_LIMIT: u32 = 8; // bytes of records after which a run is full
export const C_RUN_BYTES: u32 = 12; // in/out: bytes of records in the run
export const C_POS_STRIDE: u32 = 16; // positions per group area
export const C_MAX_RECORDS: u32 = 20;
export const C_RECORDS: u32 = 24; // in/out: records in the run
export const C_STOP: u32 = 28;
export const C_NGROUPS: u32 = 32; // in/out: groups in the run
export const C_MAX_GROUPS: u32 = 36;
export const C_GROUPS: u32 = 40; // the group table: G_BYTES per group
export const C_LAST_GROUP: u32 = 44;
export const C_AREAS: u32 = 48; // per group: start and end of its output area (u32 pairs)
export const C_POSITIONS: u32 = 56; // the first group's positions (f64 × C_POS_STRIDE); the others follow
export const C_F_ACCOUNT: u32 = 60; // field indices, -1 when absent
export const C_F_REGION: u32 = 64;
export const C_F_ACTION: u32 = 68;
export const C_F_STATUS: u32 = 72;
export const C_F_PROTO: u32 = 76;
export const C_F_SRC: u32 = 80;
export const C_F_DST: u32 = 84;
export const C_F_TIME0: u32 = 88;
export const C_F_TIME1: u32 = 92;
export const C_LINENO: u32 = 104; // f64
export const C_OBSERVED: u32 = 112; // 8 bytes
export const C_BODY: u32 = 120;
export const C_SEV_INFO: u32 = 124; // offset, length
export const C_SEV_WARN: u32 = 132; // offset, length
export const C_PROTO_NAMES: u32 = 140; // 256 × (offset, length)
export const C_PROTO_TRANSPORTS: u32 = 144; // 256 × (offset, length)
export const C_FAMILY4: u32 = 148; // offset, length
export const C_FAMILY6: u32 = 156; // offset, length
export const C_SRC_KEY: u32 = 164; // offset, length of the `key` field of source.address
export const C_DST_KEY: u32 = 172;
export const C_NOPS: u32 = 180;
export const C_OPS: u32 = 184;
export const C_RECORD_FIXED: u32 = 188;
export const C_TIME_KEYS: u32 = 192;
export const C_TIME_WORDS: u32 = 196;
export const C_GROUP_KEYS: u32 = 200; // GROUP_KEY_BYTES per group
export const C_TOKENS: u32 = 204; // per field: start (u32), length (u32), number (u64, NONE for `-`)
export const C_KINDS: u32 = 208; // per field a byte: 1 for a number, 0 for a string
export const C_NCHECKS: u32 = 212; // field domain checks (src/fields/catalog.ts), CK_BYTES each
export const C_CHECKS: u32 = 216;

// A domain check: kind, field, bound (u64, numbers), word count, then up to 3 words of at most
// 8 bytes (u64 word, u32 length, 16 bytes each, from CK_WORDS).
export const CK_BYTES: usize = 80;
export const CK_WORDS: usize = 32;
export const CK_NUMBER: u32 = 1;
export const CK_TIME: u32 = 2;
export const CK_ADDRESS: u32 = 3;
export const CK_WORD: u32 = 4;

// A group (the records of one account and region): u32 words.
export const G_BYTES: usize = 48;
export const G_ACCOUNT: u32 = 0; // key offset, length
export const G_REGION: u32 = 8; // key offset, length
export const G_POS: u32 = 16; // where its next record goes
export const G_RECORDS: u32 = 20;
export const G_NODATA: u32 = 24;
export const G_SKIPDATA: u32 = 28;
export const G_END: u32 = 32; // where its output area ends
/** Bytes of key per group: an account id and a region, each at most GROUP_KEY_MAX bytes. */
export const GROUP_KEY_BYTES: usize = 256;
export const GROUP_KEY_MAX: usize = 120;

// An op (16 bytes): kind, field, key field offset, key field length.
export const OP_STR: u32 = 0;
export const OP_INT: u32 = 1;

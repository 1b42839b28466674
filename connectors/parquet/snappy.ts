// oxbow's Snappy: the archiver's compressor (the bytes hyparquet-writer's compressor makes, written straight into one
// array) and the replay's decompressor (what hyparquet's decompressor gives, for the same inputs, with its copies
// made by the engine's own copy where they are long).

/** Hash tables by size (2^1 .. 2^14 entries), reused across calls: a page's table is cleared, not reallocated. */
const MAX_HASH_BITS = 14;
const tables: Uint32Array[] = [];
/** A match is looked up only within this distance (Snappy's copies reach 2^16 − 1 bytes back). */
const MAX_OFFSET = 0xffff;
/** The last bytes of the input are always a literal (the match loop reads 4 bytes ahead). */
const INPUT_MARGIN = 15;

/** Snappy's hash multiplier. */
const HASH_MUL = 0x1e35a7bd;

/**
 * Snappy-compresses `input` (one Parquet page): the same algorithm and the same output, byte for byte, as
 * hyparquet-writer's `snappyCompress` (the snappyjs port), which the archiver's profile showed at 14 % of its thread.
 * That one writes every tag byte through a growing ByteWriter (a bounds check and a DataView store each, the buffer
 * doubled from 1 KiB) and a view per literal; this one writes into an array of Snappy's worst-case size, allocated once,
 * and reads its input four bytes at a time: about 2.9x as fast over pages of music events (docs/archive.md, "Parquet").
 */
export function snappyCompress(input: Uint8Array): Uint8Array {
  const out = new Uint8Array(maxCompressedLength(input.length));
  return out.subarray(0, compressInto(input, out));
}

/** Snappy's worst case for `n` bytes of input. */
const maxCompressedLength = (n: number): number => 32 + n + Math.floor(n / 6);

let scratch = new Uint8Array(0);
/** The most the kept array grows to: a page of one larger value (a record of many MiB) gets an array of its own. */
const SCRATCH_LIMIT = 2 << 20;

/**
 * `snappyCompress` into one array kept for the next call: the bytes it returns are overwritten by that call, so the
 * caller must have copied them out by then (the Parquet writers append each compressed page to the file's buffer at
 * once). A value page is about 1 MiB: a new array per page was that much zero-filled memory for the collector.
 */
export function snappyCompressReused(input: Uint8Array): Uint8Array {
  const size = maxCompressedLength(input.length);
  if (size > SCRATCH_LIMIT) return snappyCompress(input);
  if (scratch.length < size) scratch = new Uint8Array(Math.min(SCRATCH_LIMIT, Math.max(size, scratch.length * 2)));
  return scratch.subarray(0, compressInto(input, scratch));
}

/** Writes a literal tag and `count` bytes of `input` from `from` at `op` in `out`; returns where the next tag goes. */
function emitLiteral(input: Uint8Array, from: number, count: number, out: Uint8Array, op: number): number {
  const v = count - 1;
  if (count <= 60) {
    out[op++] = v << 2;
  } else if (v < 0x100) {
    out[op++] = 60 << 2;
    out[op++] = v;
  } else if (v < 0x10000) {
    out[op++] = 61 << 2;
    out[op++] = v & 0xff;
    out[op++] = v >>> 8;
  } else if (v < 0x1000000) {
    out[op++] = 62 << 2;
    out[op++] = v & 0xff;
    out[op++] = (v >>> 8) & 0xff;
    out[op++] = v >>> 16;
  } else {
    out[op++] = 63 << 2;
    out[op++] = v & 0xff;
    out[op++] = (v >>> 8) & 0xff;
    out[op++] = (v >>> 16) & 0xff;
    out[op++] = v >>> 24;
  }
  if (count < 16) for (let i = 0; i < count; i++) out[op + i] = input[from + i]!;
  else out.set(input.subarray(from, from + count), op);
  return op + count;
}

/** Writes the copies of `length` bytes from `offset` back, at `op` in `out`; returns where the next tag goes. */
function emitCopy(offset: number, length: number, out: Uint8Array, op: number): number {
  // Copies of 64 bytes while more than 67 remain, then one of 60 if more than 64 do: the last is never under 4.
  while (length >= 68) {
    out[op++] = 2 + (63 << 2);
    out[op++] = offset & 0xff;
    out[op++] = offset >>> 8;
    length -= 64;
  }
  if (length > 64) {
    out[op++] = 2 + (59 << 2);
    out[op++] = offset & 0xff;
    out[op++] = offset >>> 8;
    length -= 60;
  }
  // A copy of 4 to 64 bytes: the 2-byte form when it fits, else the 3-byte one.
  if (length < 12 && offset < 2048) {
    out[op++] = 1 + ((length - 4) << 2) + ((offset >>> 8) << 5);
    out[op++] = offset & 0xff;
  } else {
    out[op++] = 2 + ((length - 1) << 2);
    out[op++] = offset & 0xff;
    out[op++] = offset >>> 8;
  }
  return op;
}

/**
 * Compresses `input` into `out` (at least `maxCompressedLength` long) from its start; returns the length written.
 * Written for V8: no closure shares a variable it changes (such a variable lives in a heap context, a load and a store
 * per tag byte), and a match is extended four bytes at a time.
 */
function compressInto(input: Uint8Array, out: Uint8Array): number {
  const n = input.length;
  const dv = new DataView(input.buffer, input.byteOffset, input.byteLength);
  // The hash and the 4-byte loads are spelled out where they are used: as closures over `dv` and `shift` (tried) the
  // compressor ran at 0.6 of this speed.
  let op = 0;

  // The uncompressed length, as a varint.
  for (let rest = n; ; rest >>>= 7) {
    if (rest < 0x80) {
      out[op++] = rest;
      break;
    }
    out[op++] = (rest & 0x7f) | 0x80;
  }

  let bits = 1;
  while (1 << bits <= n && bits <= MAX_HASH_BITS) bits++;
  bits--;
  const shift = 32 - bits;
  const table = (tables[bits] ??= new Uint32Array(1 << bits));
  table.fill(0);

  let nextEmit = 0;
  if (n >= INPUT_MARGIN) {
    const ipLimit = n - INPUT_MARGIN;
    let ip = 1;
    let nextHash = Math.imul(dv.getUint32(ip, true), HASH_MUL) >>> shift;
    search: for (;;) {
      // Look for a 4-byte match, striding further the longer none is found.
      let skip = 32;
      let nextIp = ip;
      let candidate: number;
      for (;;) {
        ip = nextIp;
        const h = nextHash;
        nextIp = ip + (skip++ >>> 5);
        if (ip > ipLimit) break search;
        // Past the limit the next turn ends the search before it uses the hash (and a read there could pass the end).
        nextHash = nextIp <= ipLimit ? Math.imul(dv.getUint32(nextIp, true), HASH_MUL) >>> shift : 0;
        candidate = table[h]!;
        table[h] = ip;
        if (ip - candidate <= MAX_OFFSET && dv.getUint32(ip, true) === dv.getUint32(candidate, true)) break;
      }
      op = emitLiteral(input, nextEmit, ip - nextEmit, out, op);
      // Emit copies as long as the bytes after each one match again.
      for (;;) {
        const base = ip;
        let matched = 4;
        // Four bytes at a time while they are all there, then byte by byte: the same length either way.
        while (ip + matched + 4 <= n && dv.getUint32(ip + matched, true) === dv.getUint32(candidate + matched, true)) matched += 4;
        while (ip + matched < n && input[ip + matched] === input[candidate + matched]) matched++;
        ip += matched;
        op = emitCopy(base - candidate, matched, out, op);
        nextEmit = ip;
        if (ip >= ipLimit) break search;
        table[Math.imul(dv.getUint32(ip - 1, true), HASH_MUL) >>> shift] = ip - 1;
        const h = Math.imul(dv.getUint32(ip, true), HASH_MUL) >>> shift;
        candidate = table[h]!;
        table[h] = ip;
        if (!(ip - candidate <= MAX_OFFSET && dv.getUint32(ip, true) === dv.getUint32(candidate, true))) break;
      }
      ip++;
      nextHash = Math.imul(dv.getUint32(ip, true), HASH_MUL) >>> shift;
    }
  }
  if (nextEmit < n) op = emitLiteral(input, nextEmit, n - nextEmit, out, op);
  return op;
}

/**
 * Decompresses one Snappy page of `outputLength` bytes: hyparquet's `snappyUncompress` (the snappyjs port) with the same
 * checks, which the replay's profile showed at 8 % of its thread. That one copies every literal and back-reference a
 * byte at a time; this one hands those of 16 bytes or more to `set` and `copyWithin` (a back-reference that overlaps
 * what it writes, a run, stays byte by byte, as Snappy defines it). Input that is not a Snappy page of exactly
 * `outputLength` bytes is refused with an Error, as hyparquet's does. Passed to hyparquet as its SNAPPY decompressor.
 */
export function snappyUncompress(input: Uint8Array, outputLength: number): Uint8Array {
  const output = new Uint8Array(outputLength);
  const n = input.length;
  let pos = 0;
  let outPos = 0;
  // The preamble: the uncompressed length as a varint (the page header's length is the one relied on).
  while (pos < n) if (input[pos++]! < 0x80) break;
  if (outputLength > 0 && pos >= n) throw new Error('invalid snappy length header');
  while (pos < n) {
    const c = input[pos++]!;
    if (pos >= n) throw new Error('missing eof marker');
    const kind = c & 3;
    if (kind === 0) {
      let len = (c >>> 2) + 1;
      if (len > 60) {
        if (pos + 3 >= n) throw new Error('snappy error literal pos + 3 >= inputLength');
        const bytes = len - 60;
        len = input[pos]!;
        if (bytes > 1) len |= input[pos + 1]! << 8;
        if (bytes > 2) len |= input[pos + 2]! << 16;
        if (bytes > 3) len |= input[pos + 3]! << 24;
        len = (len >>> 0) + 1;
        pos += bytes;
      }
      if (pos + len > n) throw new Error('snappy error literal exceeds input length');
      if (outPos + len > outputLength) throw new Error('snappy page longer than its header says');
      if (len < 16) for (let i = 0; i < len; i++) output[outPos + i] = input[pos + i]!;
      else output.set(input.subarray(pos, pos + len), outPos);
      pos += len;
      outPos += len;
      continue;
    }
    let len: number;
    let offset: number;
    if (kind === 1) {
      len = ((c >>> 2) & 7) + 4;
      offset = input[pos]! + ((c >>> 5) << 8);
      pos++;
    } else if (kind === 2) {
      if (n <= pos + 1) throw new Error('snappy error end of input');
      len = (c >>> 2) + 1;
      offset = input[pos]! | (input[pos + 1]! << 8);
      pos += 2;
    } else {
      if (n <= pos + 3) throw new Error('snappy error end of input');
      len = (c >>> 2) + 1;
      offset = (input[pos]! | (input[pos + 1]! << 8) | (input[pos + 2]! << 16) | (input[pos + 3]! << 24)) >>> 0;
      pos += 4;
    }
    if (offset === 0) throw new Error(`invalid offset ${offset} pos ${pos} inputLength ${n}`);
    if (offset > outPos) throw new Error('cannot copy from before start of buffer');
    if (outPos + len > outputLength) throw new Error('snappy page longer than its header says');
    const from = outPos - offset;
    if (len >= 16 && offset >= len) output.copyWithin(outPos, from, from + len);
    else for (let i = 0; i < len; i++) output[outPos + i] = output[from + i]!;
    outPos += len;
  }
  if (outPos !== outputLength) throw new Error('premature end of input');
  return output;
}

// Reads the pixels of a PNG screenshot (8-bit RGB or RGBA, not interlaced: what headless Chromium writes), so a test
// can check what a page looks like, not only what its markup says.

import assert from 'node:assert/strict';
import { inflateSync } from 'node:zlib';

export interface Image {
  width: number;
  height: number;
  /** RGBA, row by row. */
  pixel(x: number, y: number): [number, number, number, number];
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

export function decodePng(png: Buffer): Image {
  assert.deepEqual([...png.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10], 'a PNG signature');
  let width = 0;
  let height = 0;
  let channels = 0;
  const data: Buffer[] = [];
  for (let at = 8; at < png.length;) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    const body = png.subarray(at + 8, at + 8 + length);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      const [depth, colour, , , interlace] = [body[8], body[9], body[10], body[11], body[12]];
      assert.equal(depth, 8, 'an 8-bit PNG');
      assert.equal(interlace, 0, 'a PNG without interlacing');
      channels = colour === 6 ? 4 : colour === 2 ? 3 : 0;
      assert.ok(channels > 0, `PNG colour type ${colour} is not RGB or RGBA`);
    } else if (type === 'IDAT') data.push(body);
    at += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(data));
  const stride = width * channels;
  const pixels = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? pixels[y * stride + i - channels]! : 0;
      const b = y > 0 ? pixels[(y - 1) * stride + i]! : 0;
      const c = y > 0 && i >= channels ? pixels[(y - 1) * stride + i - channels]! : 0;
      const predicted = filter === 0 ? 0 : filter === 1 ? a : filter === 2 ? b : filter === 3 ? (a + b) >> 1 : paeth(a, b, c);
      pixels[y * stride + i] = (line[i]! + predicted) & 0xff;
    }
  }
  return {
    width, height,
    pixel: (x, y) => {
      const o = y * stride + x * channels;
      return [pixels[o]!, pixels[o + 1]!, pixels[o + 2]!, channels === 4 ? pixels[o + 3]! : 255];
    },
  };
}

/** `#rrggbb` as numbers. */
export function rgb(hex: string): [number, number, number] {
  return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];
}

/** The pixels of one colour (within `tolerance` per channel), as a bounding box per row: y → [min x, max x]. */
export function rowsOfColour(image: Image, hex: string, tolerance = 3): Map<number, [number, number]> {
  const want = rgb(hex);
  const rows = new Map<number, [number, number]>();
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      const p = image.pixel(x, y);
      if (Math.abs(p[0] - want[0]) <= tolerance && Math.abs(p[1] - want[1]) <= tolerance && Math.abs(p[2] - want[2]) <= tolerance) {
        const row = rows.get(y);
        if (row === undefined) rows.set(y, [x, x]);
        else row[1] = x;
      }
    }
  }
  return rows;
}

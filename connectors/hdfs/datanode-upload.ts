// Sends a CREATE/APPEND body to the DataNode with node:http, streamed chunk by chunk with backpressure.
//
// Why not fetch: the DataNode answers every CREATE/APPEND with an unsolicited "100 Continue" before its final status,
// and the fetch of Node 20 (undici 6) fails on any 1xx answer with "bad response" (nodejs/undici#197). node:http
// treats 1xx as informational, and also lets us stop sending when the DataNode refuses early (file exists).

import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { StallTimer } from './http-exchange.js';

export interface UploadAnswer {
  status: number;
  text: string;
}

/** Wraps an error the caller's own data source threw, so it is not mistaken for a network failure. */
export class ProducerFailure {
  constructor(readonly error: unknown) {}
}

export function uploadToDataNode(
  location: string,
  method: 'PUT' | 'POST',
  data: Uint8Array | AsyncIterable<Uint8Array>,
  stall: StallTimer,
  /** PEM of the CA that signed an https:// DataNode's certificate; default Node's bundled CAs. */
  ca?: string,
): Promise<UploadAnswer> {
  return new Promise<UploadAnswer>((resolve, reject) => {
    const url = new URL(location);
    const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
    if (data instanceof Uint8Array) headers['content-length'] = String(data.length);
    const req = url.protocol === 'https:'
      ? httpsRequest(url, { method, headers, signal: stall.controller.signal, ...(ca === undefined ? {} : { ca }) })
      : httpRequest(url, { method, headers, signal: stall.controller.signal });
    let settled = false;
    let answered = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      fn();
    };

    req.on('information', () => stall.touch());
    req.on('response', (res: IncomingMessage) => {
      answered = true;
      stall.touch();
      const parts: Buffer[] = [];
      res.on('data', (chunk: Buffer) => {
        stall.touch();
        parts.push(chunk);
      });
      res.on('end', () => {
        stall.done();
        settle(() => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(parts).toString('utf8') }));
        // An early answer (an error before the whole body went out): nothing more to send on this connection.
        if (!req.writableFinished) req.destroy();
      });
      res.on('error', (err) => settle(() => reject(err)));
    });
    req.on('error', (err) => settle(() => reject(err)));

    writeBody(req, data, stall, () => answered || settled).catch((err: unknown) => {
      settle(() => reject(err));
      req.destroy();
    });
  });
}

async function writeBody(req: ClientRequest, data: Uint8Array | AsyncIterable<Uint8Array>, stall: StallTimer, stop: () => boolean): Promise<void> {
  if (data instanceof Uint8Array) {
    req.end(data);
    return;
  }
  const iterator = data[Symbol.asyncIterator]();
  let done = false;
  try {
    for (;;) {
      // The producer's time to compute a chunk is not the DataNode's fault.
      stall.hold();
      let next: IteratorResult<Uint8Array>;
      try {
        next = await iterator.next();
      } catch (err) {
        throw new ProducerFailure(err);
      } finally {
        stall.release();
      }
      if (next.done) done = true;
      if (stop() || req.destroyed) return;
      if (next.done) {
        req.end();
        return;
      }
      if (next.value.length > 0 && !req.write(next.value)) {
        await drained(req);
        stall.touch(); // the socket took the data
      }
    }
  } finally {
    if (!done) await iterator.return?.();
  }
}

function drained(req: ClientRequest): Promise<void> {
  return new Promise((resolve) => {
    const onEnd = () => {
      req.off('drain', onEnd);
      req.off('close', onEnd);
      resolve();
    };
    req.once('drain', onEnd);
    req.once('close', onEnd);
  });
}

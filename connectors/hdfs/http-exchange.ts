// One HTTP exchange with the NameNode or a DataNode: a stall timeout instead of a total one, and network failures as ConnectionError.

import { request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import { ConnectionError, OxbowError, UsageError } from '../../src/errors.js';
import { tlsFailure } from '../../src/tls-failure.js';

export type Role = 'NameNode' | 'DataNode';

/**
 * Aborts the exchange when nothing has moved for `ms`: connecting, waiting for headers, sending or receiving a chunk.
 * A total timeout would cut a 10 GB upload that is progressing fine; a stall timeout only cuts a dead one.
 */
export class StallTimer {
  readonly controller = new AbortController();
  fired = false;
  private timer: NodeJS.Timeout | undefined;
  private held = false;

  constructor(private readonly ms: number) {
    this.touch();
  }

  /** Progress was made: restart the clock (unless it is held). */
  touch(): void {
    this.stop();
    if (this.held || this.controller.signal.aborted) return;
    this.timer = setTimeout(() => {
      this.fired = true;
      this.controller.abort(new Error(`no progress for ${this.ms} ms`));
    }, this.ms);
  }

  /**
   * Stop the clock while the wait is not the network's fault: an upload's producer computing its next chunk, a reader
   * busy between chunks. Events from the peer (a "100 Continue") do not restart it until `release`.
   */
  hold(): void {
    this.held = true;
    this.stop();
  }

  release(): void {
    this.held = false;
    this.touch();
  }

  /** The exchange is over. */
  done(): void {
    this.held = true;
    this.stop();
  }

  cancel(): void {
    this.done();
    if (!this.controller.signal.aborted) this.controller.abort(new Error('cancelled'));
  }

  private stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

export interface Peer {
  role: Role;
  /** `http://host:port` */
  origin: string;
}

/** `host:port` of a URL, the form ConnectionError.address carries. */
export function hostPort(origin: string): string {
  return new URL(origin).host;
}

function errnoOf(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 4 && e && typeof e === 'object'; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'ERR_ASSERTION') return code;
    const inner = (e as { errors?: unknown[] }).errors?.[0];
    e = (e as { cause?: unknown }).cause ?? inner;
  }
  return undefined;
}

const reasons: Record<string, string> = {
  ECONNREFUSED: 'connection refused, nothing listens there',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed for now',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection closed while sending',
  ETIMEDOUT: 'connect timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  UND_ERR_CONNECT_TIMEOUT: 'connect timed out',
  UND_ERR_SOCKET: 'connection closed unexpectedly',
};

function whatToCheck(peer: Peer): string {
  return peer.role === 'NameNode'
    ? "check that HDFS is running and that the URI names the NameNode's HTTP address (dfs.namenode.http-address, default port 9870)"
    : 'check that the DataNode is running and advertises an address this machine can reach (dfs.datanode.hostname, dfs.datanode.http.address)';
}

/**
 * One request without following redirects, answered as a standard Response. http:// goes through fetch; https:// through
 * node:https, which takes the CA (`ca`, PEM) that signed a private cluster's certificates (fetch cannot be given one).
 */
export function exchangeRequest(url: string, init: { method: string; signal: AbortSignal; ca?: string }): Promise<Response> {
  const parsed = new URL(url);
  if (parsed.protocol !== 'https:') return fetch(url, { method: init.method, redirect: 'manual', signal: init.signal });
  return new Promise((resolve, reject) => {
    const req = httpsRequest(parsed, { method: init.method, signal: init.signal, ...(init.ca === undefined ? {} : { ca: init.ca }) }, (res) => {
      const status = res.statusCode ?? 0;
      const headers = new Headers();
      for (const [name, value] of Object.entries(res.headers)) {
        for (const one of Array.isArray(value) ? value : value === undefined ? [] : [value]) headers.append(name, one);
      }
      const body = status === 204 || status === 304 ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>);
      if (body === null) res.resume();
      resolve(new Response(body, { status, headers }));
    });
    req.once('error', reject);
    req.end();
  });
}

/** Map a rejected fetch or a failed body read to ConnectionError naming the peer and what to check. */
export function mapNetworkError(err: unknown, peer: Peer, stall: StallTimer, stallMs: number, doing: string): OxbowError {
  if (err instanceof OxbowError) return err;
  const address = hostPort(peer.origin);
  const redirected = peer.role === 'DataNode' ? ' (the NameNode redirected there)' : '';
  if (stall.fired) {
    return new ConnectionError(address, `${doing}: the ${peer.role} at ${peer.origin}${redirected} made no progress for ${stallMs / 1000} s; ${whatToCheck(peer)}`, { cause: err });
  }
  const code = errnoOf(err);
  const reason = code ? (reasons[code] ? `${code}: ${reasons[code]}` : code) : err instanceof Error ? err.message : String(err);
  const tls = tlsFailure(code, err instanceof Error ? err.message : String(err));
  if (tls !== undefined) {
    // Not a network hiccup: retrying cannot help, the setup must change.
    const hint = /CA this client trusts/.test(tls) ? ': give the CA that signed it with --webhdfs-ca FILE (PEM)' : '';
    return new UsageError(`${doing}: TLS to the ${peer.role} at ${peer.origin}${redirected} failed: ${tls}${hint} (${code})`, { cause: err });
  }
  const hint = whatToCheck(peer);
  return new ConnectionError(address, `${doing}: cannot reach the ${peer.role} at ${peer.origin}${redirected} (${reason}); ${hint}`, { cause: err });
}

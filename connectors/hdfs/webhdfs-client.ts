// A small typed WebHDFS REST client on Node's own HTTP stack: the operations oxbow needs, streamed bodies, typed errors.

import { AlreadyExistsError, NotFoundError, RemoteError, UnavailableError, UsageError } from '../../src/errors.js';
import { getLogger } from '../../src/logger.js';
import { redactCredentials } from '../../src/redact.js';
import { retry, type RetryOptions } from '../../src/retry.js';
import { StallTimer, exchangeRequest, hostPort, mapNetworkError, type Peer } from './http-exchange.js';
import { ProducerFailure, uploadToDataNode, type UploadAnswer } from './datanode-upload.js';
import { RedirectPolicy } from './redirect-policy.js';
import { mapWebHdfsError } from './remote-exception.js';
import type { BooleanResponse, FileStatusResponse, FileStatusesResponse, HdfsFileStatus } from './types.js';

const log = getLogger('webhdfs');

export interface WebHdfsClientOptions {
  /** The NameNode's HTTP(S) address, `http://127.0.0.1:9870`. */
  url: string;
  /** HDFS user for simple auth (`user.name`); not sent when `delegation` is given. */
  user: string;
  /** A Hadoop delegation token (URL-safe string, as `hdfs fetchdt` or GETDELEGATIONTOKEN give it): sent as `delegation=` instead of `user.name`. */
  delegation?: string;
  /** PEM of the CA(s) that signed the NameNode's and DataNodes' HTTPS certificates (swebhdfs://); default Node's bundled CAs. */
  ca?: string;
  /** Fail with ConnectionError when a request makes no progress (connect, headers, a body chunk) for this long. Default 20 s. */
  stallTimeoutMs?: number;
  /**
   * Retries of calls that failed with UnavailableError before any data moved: NameNode calls (safe mode, standby) and
   * OPEN (a block not reported yet after a restart); the server did not act, so the call is safe to repeat. Uploads to
   * a DataNode are never repeated, their body may be a one-shot stream. Default: 5 retries from 500 ms.
   */
  retry?: RetryOptions;
  /**
   * Hosts (`dn1`, or `dn1:9864` to pin a port) the NameNode may redirect CREATE/APPEND/OPEN to, besides its own host;
   * `['*']` trusts any host. Default: OXBOW_WEBHDFS_DATANODES (comma-separated), else only the NameNode's host.
   */
  dataNodes?: string[];
  /** Where OXBOW_WEBHDFS_DATANODES is read when `dataNodes` is not given; default process.env. */
  env?: Record<string, string | undefined>;
}

export interface CreateOptions {
  overwrite?: boolean;
  /** Octal permission, e.g. '644'. */
  permission?: string;
  replication?: number;
  blockSize?: number;
}

export type Body = Uint8Array | AsyncIterable<Uint8Array>;

type Method = 'GET' | 'PUT' | 'POST' | 'DELETE';
type Params = Record<string, string | number | boolean | undefined>;

export class WebHdfsClient {
  readonly url: string;
  readonly user: string;
  private readonly delegation: string | undefined;
  private readonly ca: string | undefined;
  private readonly stallMs: number;
  private readonly retryOptions: RetryOptions;
  private readonly nameNode: Peer;
  private readonly redirects: RedirectPolicy;

  constructor(options: WebHdfsClientOptions) {
    let parsed: URL;
    try {
      parsed = new URL(options.url);
    } catch {
      // No cause: URL's TypeError carries the whole input, credentials included.
      throw new UsageError(`WebHDFS url '${redactCredentials(String(options.url))}' is not a URL; write http://namenode:9870`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new UsageError(`WebHDFS url '${redactCredentials(options.url)}' must start with http:// or https://`);
    }
    if (!options.user) throw new UsageError('WebHDFS user is empty; pass the HDFS user name (user.name)');
    const stallMs = options.stallTimeoutMs ?? 20_000;
    if (!Number.isFinite(stallMs) || stallMs <= 0) throw new UsageError(`WebHDFS stallTimeoutMs ${stallMs} must be a positive number of ms`);
    this.url = parsed.origin;
    this.user = options.user;
    this.delegation = options.delegation;
    this.ca = options.ca;
    this.stallMs = stallMs;
    this.retryOptions = {
      retries: 5,
      initialDelayMs: 500,
      ...options.retry,
      isRetriable: options.retry?.isRetriable ?? ((err) => err instanceof UnavailableError),
    };
    this.nameNode = { role: 'NameNode', origin: this.url };
    this.redirects = RedirectPolicy.create(this.url, options.dataNodes, options.env ?? process.env);
  }

  async listStatus(path: string): Promise<HdfsFileStatus[]> {
    const json = await this.nameNodeJson<FileStatusesResponse>('LISTSTATUS', 'GET', path);
    return json.FileStatuses?.FileStatus ?? [];
  }

  /** NotFoundError when the path does not exist. */
  async getFileStatus(path: string): Promise<HdfsFileStatus> {
    const json = await this.nameNodeJson<FileStatusResponse>('GETFILESTATUS', 'GET', path);
    return json.FileStatus;
  }

  async mkdirs(path: string, permission?: string): Promise<boolean> {
    return (await this.nameNodeJson<BooleanResponse>('MKDIRS', 'PUT', path, { permission })).boolean;
  }

  /** True when something was deleted, false when nothing was there. */
  async delete(path: string, recursive = false): Promise<boolean> {
    return (await this.nameNodeJson<BooleanResponse>('DELETE', 'DELETE', path, { recursive })).boolean;
  }

  /**
   * Hadoop's classic rename: moves `from` INTO `to` when `to` is a folder. HDFS answers `{"boolean": false}` when it
   * refuses; this looks at both paths to say why (NotFoundError for a missing source, AlreadyExistsError for a taken
   * destination, NotFoundError for a missing destination folder).
   */
  async rename(from: string, to: string): Promise<void> {
    const ok = (await this.nameNodeJson<BooleanResponse>('RENAME', 'PUT', from, { destination: to })).boolean;
    if (ok) return;
    if (!(await this.exists(from))) throw new NotFoundError(from, `WebHDFS RENAME ${from} to ${to}: the source does not exist`);
    if (await this.exists(to)) throw new AlreadyExistsError(to, `WebHDFS RENAME ${from} to ${to}: the destination already exists`);
    const parent = parentOf(to);
    if (!(await this.exists(parent))) throw new NotFoundError(parent, `WebHDFS RENAME ${from} to ${to}: the destination folder ${parent} does not exist`);
    throw new RemoteError('RenameRefused', 200, `WebHDFS RENAME ${from} to ${to}: the NameNode refused without saying why (see its log)`);
  }

  /**
   * Rename with options (FileContext semantics, one atomic NameNode call): never moves into a folder; with
   * `overwrite: false` fails with AlreadyExistsError when `to` exists, NotFoundError when `from` or `to`'s folder is missing.
   */
  async renameStrict(from: string, to: string, options: { overwrite?: boolean } = {}): Promise<void> {
    try {
      await this.nameNodeCall('RENAME', 'PUT', from, { destination: to, renameoptions: options.overwrite ? 'OVERWRITE' : 'NONE' });
    } catch (err) {
      // The call is addressed to the source; an "already exists" is about the destination.
      if (err instanceof AlreadyExistsError) throw new AlreadyExistsError(to, err.message, { cause: err });
      throw err;
    }
  }

  /** Write a new file; the body streams from `data` to the DataNode without being buffered whole. */
  async create(path: string, data: Body, options: CreateOptions = {}): Promise<void> {
    const params = {
      overwrite: options.overwrite ?? false,
      permission: options.permission,
      replication: options.replication,
      blocksize: options.blockSize,
    };
    // The DataNode refuses an existing file right after its "100 Continue", usually while the first chunk is on the
    // wire, and the refusal is then lost to a broken pipe. Asking the NameNode first turns the common case into a
    // clean AlreadyExistsError before any byte is sent; the DataNode's own check stays the atomic one.
    if (!params.overwrite && (await this.exists(path))) {
      throw new AlreadyExistsError(path, `WebHDFS CREATE ${path}: the file already exists (pass overwrite to replace it)`);
    }
    const location = await this.redirect('CREATE', 'PUT', path, params);
    try {
      await this.send('CREATE', 'PUT', path, location, data, [201, 200]);
    } catch (err) {
      // A half-written file must not pass for a whole one. Only a new file is surely ours to remove: with overwrite,
      // a failure before the DataNode began would otherwise delete the old file.
      if (!params.overwrite && !(err instanceof AlreadyExistsError)) await this.removePartial(path, err);
      throw err;
    }
  }

  private async removePartial(path: string, cause: unknown): Promise<void> {
    try {
      await this.delete(path, false);
    } catch (err) {
      log.warn('could not remove a partly written file; delete it by hand', {
        path,
        writeError: cause instanceof Error ? cause.message : String(cause),
        deleteError: err instanceof Error ? err.message : String(err),
      });
    }
  }

  async append(path: string, data: Body): Promise<void> {
    const location = await this.redirect('APPEND', 'POST', path, {});
    await this.send('APPEND', 'POST', path, location, data, [200]);
  }

  /**
   * Bytes of a file from `offset` (default 0), at most `length` (default: to the end), as a stream of chunks.
   * Both steps are repeated while HDFS cannot serve yet (safe mode, or the DataNode saying a block is not reported
   * after a restart): nothing was handed on before the DataNode's 200, so a read is safe to start over.
   */
  async open(path: string, options: { offset?: number; length?: number } = {}): Promise<AsyncIterable<Uint8Array>> {
    const doing = `WebHDFS OPEN ${path}`;
    const { response, peer, stall } = await retry(async () => {
      const location = await this.locate('OPEN', 'GET', path, { offset: options.offset, length: options.length });
      const peer = dataNodePeer(location);
      const stall = new StallTimer(this.stallMs);
      let response: Response;
      try {
        response = await exchangeRequest(location, { method: 'GET', signal: stall.controller.signal, ca: this.ca });
      } catch (err) {
        stall.cancel();
        throw mapNetworkError(err, peer, stall, this.stallMs, doing);
      }
      if (response.status !== 200) {
        const body = await this.readText(response, peer, stall, doing);
        stall.done();
        throw mapWebHdfsError({ op: 'OPEN', path, status: response.status, body, from: `DataNode ${hostPort(peer.origin)}` });
      }
      return { response, peer, stall };
    }, { ...this.retryOptions, onRetry: (info) => this.logRetry('OPEN', path, info) });
    return this.streamBody(response, peer, stall, doing);
  }

  /** A whole byte range in memory (Parquet footers, row groups). */
  async read(path: string, options: { offset?: number; length?: number } = {}): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    let total = 0;
    for await (const chunk of await this.open(path, options)) {
      parts.push(chunk);
      total += chunk.length;
    }
    if (parts.length === 1) return parts[0]!;
    const out = new Uint8Array(total);
    let at = 0;
    for (const part of parts) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  }

  private async exists(path: string): Promise<boolean> {
    try {
      await this.getFileStatus(path);
      return true;
    } catch (err) {
      if (err instanceof NotFoundError) return false;
      throw err;
    }
  }

  private async nameNodeJson<T>(op: string, method: Method, path: string, params: Params = {}): Promise<T> {
    const text = await this.nameNodeCall(op, method, path, params);
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new RemoteError('BadResponse', 200, `WebHDFS ${op} ${path}: the NameNode at ${this.url} answered with something that is not JSON: ${text.slice(0, 200)}`, { cause: err });
    }
  }

  /** A NameNode-only call; repeated while the NameNode says it cannot serve now. Returns the body text of a 200 answer. */
  private nameNodeCall(op: string, method: Method, path: string, params: Params): Promise<string> {
    return retry(async () => {
      const { response, stall, text } = await this.exchange(op, method, path, params);
      stall.done();
      if (response.status !== 200) {
        throw mapWebHdfsError({ op, path, status: response.status, body: text, from: `NameNode ${hostPort(this.url)}` });
      }
      return text;
    }, { ...this.retryOptions, onRetry: (info) => this.logRetry(op, path, info) });
  }

  /** First step of CREATE / APPEND, repeated while the NameNode cannot serve. */
  private redirect(op: string, method: Method, path: string, params: Params): Promise<string> {
    return retry(() => this.locate(op, method, path, params), { ...this.retryOptions, onRetry: (info) => this.logRetry(op, path, info) });
  }

  /** The NameNode names the DataNode to talk to; the redirect policy decides whether it is followed. */
  private async locate(op: string, method: Method, path: string, params: Params): Promise<string> {
    const { response, stall, text } = await this.exchange(op, method, path, params);
    stall.done();
    const doing = `WebHDFS ${op} ${path}`;
    if (response.status === 307 || response.status === 302 || response.status === 303) {
      const location = response.headers.get('location');
      if (!location) throw new RemoteError('BadRedirect', response.status, `${doing}: the NameNode at ${this.url} redirected without a Location`);
      return this.redirects.follow(location, response.status, doing);
    }
    if (response.status === 200) {
      // With noredirect=true (or a proxy in between) the DataNode address arrives as JSON.
      const json = safeJson(text) as { Location?: unknown } | undefined;
      if (typeof json?.Location === 'string') return this.redirects.follow(json.Location, 200, doing);
      throw new RemoteError('BadRedirect', 200, `${doing}: the NameNode at ${this.url} answered 200 without naming a DataNode`);
    }
    throw mapWebHdfsError({ op, path, status: response.status, body: text, from: `NameNode ${hostPort(this.url)}` });
  }

  private async exchange(op: string, method: Method, path: string, params: Params): Promise<{ response: Response; stall: StallTimer; text: string }> {
    const url = this.nameNodeUrl(op, path, params);
    const stall = new StallTimer(this.stallMs);
    const doing = `WebHDFS ${op} ${path}`;
    const started = Date.now();
    let response: Response;
    try {
      response = await exchangeRequest(url, { method, signal: stall.controller.signal, ca: this.ca });
    } catch (err) {
      stall.cancel();
      throw mapNetworkError(err, this.nameNode, stall, this.stallMs, doing);
    }
    const text = await this.readText(response, this.nameNode, stall, doing);
    log.debug('namenode call', { op, path, status: response.status, ms: Date.now() - started });
    return { response, stall, text };
  }

  /** Second step of CREATE / APPEND: stream the body to the DataNode. */
  private async send(op: string, method: 'PUT' | 'POST', path: string, location: string, data: Body, okStatus: number[]): Promise<void> {
    const peer = dataNodePeer(location);
    const stall = new StallTimer(this.stallMs);
    const started = Date.now();
    let answer: UploadAnswer;
    try {
      answer = await uploadToDataNode(location, method, data, stall, this.ca);
    } catch (err) {
      stall.cancel();
      if (err instanceof ProducerFailure) throw err.error;
      throw mapNetworkError(err, peer, stall, this.stallMs, `WebHDFS ${op} ${path}`);
    }
    log.debug('datanode transfer', { op, path, status: answer.status, ms: Date.now() - started });
    if (!okStatus.includes(answer.status)) {
      throw mapWebHdfsError({ op, path, status: answer.status, body: answer.text, from: `DataNode ${hostPort(peer.origin)}` });
    }
  }

  private async readText(response: Response, peer: Peer, stall: StallTimer, doing: string): Promise<string> {
    try {
      stall.touch();
      return await response.text();
    } catch (err) {
      stall.cancel();
      throw mapNetworkError(err, peer, stall, this.stallMs, doing);
    }
  }

  private async *streamBody(response: Response, peer: Peer, stall: StallTimer, doing: string): AsyncGenerator<Uint8Array> {
    if (!response.body) {
      stall.done();
      return;
    }
    const reader = response.body.getReader();
    let finished = false;
    try {
      stall.touch(); // the headers arrived
      for (;;) {
        let result: Awaited<ReturnType<typeof reader.read>>;
        try {
          result = await reader.read();
        } catch (err) {
          throw mapNetworkError(err, peer, stall, this.stallMs, doing);
        }
        if (result.done) break;
        stall.touch();
        // The consumer's time between chunks is not the DataNode's fault.
        stall.hold();
        yield result.value;
        stall.release();
      }
      finished = true;
    } finally {
      stall.done();
      // A consumer that stops early (or a failure) must not leave the socket half-read.
      if (!finished) await reader.cancel().catch(() => {});
      reader.releaseLock();
    }
  }

  private nameNodeUrl(op: string, path: string, params: Params): string {
    if (!path.startsWith('/')) throw new UsageError(`WebHDFS path '${path}' must be absolute (start with '/')`);
    return `${this.url}/webhdfs/v1${encodePath(path)}?${nameNodeQuery(op, this.delegation === undefined ? { user: this.user } : { delegation: this.delegation }, params)}`;
  }

  private logRetry(op: string, path: string, info: { error: unknown; attempt: number; delayMs: number }): void {
    const message = info.error instanceof Error ? info.error.message : String(info.error);
    log.warn('HDFS cannot serve now; retrying', { op, path, attempt: info.attempt, delayMs: info.delayMs, error: message });
  }
}

/**
 * The query of a NameNode call: the operation, who asks (`user.name` for simple auth, or `delegation` with a token,
 * whose user the token names; never both), then the operation's parameters.
 */
export function nameNodeQuery(op: string, auth: { user: string } | { delegation: string }, params: Params): URLSearchParams {
  const query = new URLSearchParams('delegation' in auth ? { op, delegation: auth.delegation } : { op, 'user.name': auth.user });
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined) query.set(key, String(value));
  }
  return query;
}

/** Each segment percent-encoded: `+`, `=`, spaces and `%` in file names reach HDFS as themselves. */
export function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

function parentOf(path: string): string {
  const i = path.replace(/\/+$/, '').lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function dataNodePeer(location: string): Peer {
  return { role: 'DataNode', origin: new URL(location).origin };
}

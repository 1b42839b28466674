// A tiny in-memory NameNode + DataNode over node:http, standing in for HDFS in unit tests of the client's HTTP logic.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

interface Node {
  type: 'FILE' | 'DIRECTORY';
  data: Buffer;
  mtime: number;
}

export interface SeenRequest {
  server: 'namenode' | 'datanode';
  method: string;
  path: string;
  query: URLSearchParams;
  /** Request headers, to check chunked streaming. */
  headers: IncomingMessage['headers'];
}

export interface Injected {
  status: number;
  body: string;
  /** Answer this many calls of the op with the injected error (default 1). */
  times?: number;
  headers?: Record<string, string>;
}

export class FakeWebHdfs {
  readonly nodes = new Map<string, Node>([['/', { type: 'DIRECTORY', data: Buffer.alloc(0), mtime: 1 }]]);
  readonly seen: SeenRequest[] = [];
  readonly inject = new Map<string, Injected>();
  /** Largest single chunk the DataNode received, to show uploads are streamed. */
  maxChunk = 0;
  /** Called with each body chunk the DataNode receives, so a test can act at a precise point of an upload. */
  onDataNodeChunk: ((path: string) => void) | undefined;
  nameNodeUrl = '';
  dataNodeUrl = '';
  /** Where CREATE/APPEND/OPEN redirects point instead of the fake DataNode (`http://localhost:PORT`), to test the client's redirect policy. */
  redirectOrigin: string | undefined;
  private readonly nn: Server = createServer((req, res) => void this.nameNode(req, res));
  private readonly dn: Server = createServer((req, res) => void this.dataNode(req, res));

  async start(): Promise<this> {
    for (const [server, set] of [[this.nn, (u: string) => (this.nameNodeUrl = u)], [this.dn, (u: string) => (this.dataNodeUrl = u)]] as const) {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      set(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    }
    return this;
  }

  async stop(): Promise<void> {
    for (const server of [this.nn, this.dn]) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  put(path: string, content: string | Buffer): void {
    this.mkdirs(parent(path));
    this.nodes.set(path, { type: 'FILE', data: Buffer.from(content), mtime: 2 });
  }

  private mkdirs(path: string): void {
    const parts = path.split('/').filter(Boolean);
    for (let i = 1; i <= parts.length; i++) {
      const p = '/' + parts.slice(0, i).join('/');
      if (!this.nodes.has(p)) this.nodes.set(p, { type: 'DIRECTORY', data: Buffer.alloc(0), mtime: 3 });
    }
  }

  private record(server: SeenRequest['server'], req: IncomingMessage): { path: string; query: URLSearchParams } {
    const url = new URL(req.url ?? '/', 'http://x');
    const prefix = server === 'namenode' ? '/webhdfs/v1' : '/dn';
    const path = decodeURIComponent(url.pathname.slice(prefix.length)) || '/';
    this.seen.push({ server, method: req.method ?? '', path, query: url.searchParams, headers: req.headers });
    return { path, query: url.searchParams };
  }

  private injected(op: string, res: ServerResponse): boolean {
    const inj = this.inject.get(op);
    if (!inj) return false;
    const times = (inj.times ?? 1) - 1;
    if (times <= 0) this.inject.delete(op);
    else this.inject.set(op, { ...inj, times });
    res.writeHead(inj.status, { 'content-type': 'application/json', ...inj.headers }).end(inj.body);
    return true;
  }

  private async nameNode(req: IncomingMessage, res: ServerResponse): Promise<unknown> {
    const { path, query } = this.record('namenode', req);
    const op = query.get('op') ?? '';
    for await (const _ of req) void _; // drain
    if (this.injected(op, res)) return;
    const node = this.nodes.get(path);
    const json = (body: unknown, status = 200) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    const notFound = () => json(remote('FileNotFoundException', `File ${path} does not exist.`), 404);
    const redirect = () => {
      const target = new URL(`${this.redirectOrigin ?? this.dataNodeUrl}/dn${path.split('/').map(encodeURIComponent).join('/')}`);
      for (const [k, v] of query) target.searchParams.set(k, v);
      res.writeHead(307, { location: target.href }).end();
    };
    switch (op) {
      case 'GETFILESTATUS':
        return node ? json({ FileStatus: status('', node) }) : notFound();
      case 'LISTSTATUS': {
        if (!node) return notFound();
        if (node.type === 'FILE') return json({ FileStatuses: { FileStatus: [status('', node)] } });
        const children = [...this.nodes].filter(([p]) => p !== '/' && parent(p) === path).map(([p, n]) => status(p.slice(p.lastIndexOf('/') + 1), n));
        return json({ FileStatuses: { FileStatus: children } });
      }
      case 'MKDIRS':
        if (node?.type === 'FILE') return json(remote('FileAlreadyExistsException', `Path is not a directory: ${path}`), 403);
        this.mkdirs(path);
        return json({ boolean: true });
      case 'DELETE': {
        if (!node) return json({ boolean: false });
        const below = [...this.nodes.keys()].filter((p) => p.startsWith(path + '/'));
        if (below.length > 0 && query.get('recursive') !== 'true') return json(remote('PathIsNotEmptyDirectoryException', `${path} is non empty`), 403);
        for (const p of [path, ...below]) this.nodes.delete(p);
        return json({ boolean: true });
      }
      case 'RENAME': {
        const dst = query.get('destination') ?? '';
        const strict = query.has('renameoptions');
        if (!node) return strict ? json(remote('FileNotFoundException', `rename source ${path} is not found.`), 404) : json({ boolean: false });
        if (this.nodes.has(dst)) return strict ? json(remote('FileAlreadyExistsException', `rename destination ${dst} already exists.`), 403) : json({ boolean: false });
        if (!this.nodes.has(parent(dst))) return strict ? json(remote('FileNotFoundException', `rename destination parent ${parent(dst)} not found.`), 404) : json({ boolean: false });
        for (const p of [...this.nodes.keys()].filter((k) => k === path || k.startsWith(path + '/'))) {
          this.nodes.set(dst + p.slice(path.length), this.nodes.get(p)!);
          this.nodes.delete(p);
        }
        return strict ? res.writeHead(200, { 'content-type': 'application/octet-stream' }).end() : json({ boolean: true });
      }
      case 'CREATE':
      case 'APPEND':
      case 'OPEN':
        return redirect();
      default:
        return json(remote('IllegalArgumentException', `Invalid value for webhdfs parameter "op": No enum constant ${op}`), 400);
    }
  }

  private async dataNode(req: IncomingMessage, res: ServerResponse): Promise<unknown> {
    const { path, query } = this.record('datanode', req);
    const op = query.get('op') ?? '';
    const json = (body: unknown, status: number) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (op === 'OPEN') {
      for await (const _ of req) void _;
      if (this.injected(`DN_${op}`, res)) return;
      const node = this.nodes.get(path);
      if (!node || node.type !== 'FILE') return json(remote('FileNotFoundException', `File does not exist: ${path}`), 404);
      const offset = Number(query.get('offset') ?? 0);
      if (offset > node.data.length) return json(remote('IOException', `Offset=${offset} out of the range [0, ${node.data.length}); OPEN, path=${path}`), 403);
      const length = query.has('length') ? Number(query.get('length')) : node.data.length - offset;
      const slice = node.data.subarray(offset, offset + length);
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      // Several writes, so the client sees a multi-chunk body.
      for (let at = 0; at < slice.length; at += 1000) res.write(slice.subarray(at, at + 1000));
      res.end();
      return;
    }
    // Like the real DataNode: an unsolicited "100 Continue" before every CREATE/APPEND answer.
    res.writeContinue();
    if (this.injected(`DN_${op}`, res)) return;
    if (op === 'CREATE' && this.nodes.has(path) && query.get('overwrite') !== 'true') {
      return json(remote('FileAlreadyExistsException', `${path} for client 127.0.0.1 already exists`), 403);
    }
    if (op === 'APPEND' && !this.nodes.has(path)) return json(remote('FileNotFoundException', `File does not exist: ${path}`), 404);
    // Like HDFS, the file exists from the start of the write and grows as data arrives (a broken upload leaves it partial).
    if (op === 'CREATE') this.put(path, '');
    const node = this.nodes.get(path)!;
    try {
      for await (const chunk of req) {
        this.maxChunk = Math.max(this.maxChunk, (chunk as Buffer).length);
        node.data = Buffer.concat([node.data, chunk as Buffer]);
        this.onDataNodeChunk?.(path);
      }
    } catch {
      return; // the client went away mid-body
    }
    if (op === 'CREATE') res.writeHead(201, { location: `hdfs://127.0.0.1:8020${path}` }).end();
    else res.writeHead(200).end();
  }
}

export function remote(exception: string, message: string): unknown {
  return { RemoteException: { exception, javaClassName: `org.apache.hadoop.${exception}`, message } };
}

function parent(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

function status(pathSuffix: string, node: Node): unknown {
  return { pathSuffix, type: node.type, length: node.type === 'FILE' ? node.data.length : 0, modificationTime: node.mtime, permission: '755', owner: 'x', group: 'y' };
}

// An in-memory ArchiveFs for unit tests: the same contract as the local and HDFS ones, with hooks to fail on purpose.

import type { ArchiveFs, FileStatus, WriteOptions } from '../../../src/archive-fs.js';
import { AlreadyExistsError, NotFoundError } from '../../../src/errors.js';

export class MemoryFs implements ArchiveFs {
  readonly description = 'memory://';
  readonly files = new Map<string, Uint8Array>();
  readonly dirs = new Set<string>(['/']);
  /** Called before every operation; throw from it to simulate an outage. */
  beforeOp: (op: string, path: string) => void = () => {};

  private parentDirs(path: string): string[] {
    const parts = path.split('/').filter(Boolean);
    const out: string[] = [];
    for (let i = 1; i < parts.length; i++) out.push('/' + parts.slice(0, i).join('/'));
    return out;
  }

  async list(path: string): Promise<FileStatus[]> {
    this.beforeOp('list', path);
    if (!this.dirs.has(path)) throw new NotFoundError(path);
    const prefix = path === '/' ? '/' : path + '/';
    const out = new Map<string, FileStatus>();
    for (const [p, data] of this.files) {
      if (!p.startsWith(prefix)) continue;
      const rest = p.slice(prefix.length);
      if (!rest.includes('/')) out.set(rest, { path: p, name: rest, type: 'file', length: data.byteLength, modificationTime: 0 });
    }
    for (const d of this.dirs) {
      if (!d.startsWith(prefix) || d === path) continue;
      const rest = d.slice(prefix.length);
      if (!rest.includes('/')) out.set(rest, { path: d, name: rest, type: 'directory', length: 0, modificationTime: 0 });
    }
    return [...out.values()];
  }

  async stat(path: string): Promise<FileStatus | null> {
    this.beforeOp('stat', path);
    const data = this.files.get(path);
    const name = path.split('/').pop() ?? '';
    if (data) return { path, name, type: 'file', length: data.byteLength, modificationTime: 0 };
    if (this.dirs.has(path)) return { path, name, type: 'directory', length: 0, modificationTime: 0 };
    return null;
  }

  async readRange(path: string, start: number, end: number): Promise<Uint8Array> {
    this.beforeOp('readRange', path);
    const data = this.files.get(path);
    if (!data) throw new NotFoundError(path);
    return data.slice(start, end);
  }

  async readFile(path: string): Promise<Uint8Array> {
    this.beforeOp('readFile', path);
    const data = this.files.get(path);
    if (!data) throw new NotFoundError(path);
    return data.slice();
  }

  async writeFile(path: string, data: Uint8Array | AsyncIterable<Uint8Array>, options: WriteOptions = {}): Promise<void> {
    this.beforeOp('writeFile', path);
    if (!options.overwrite && this.files.has(path)) throw new AlreadyExistsError(path);
    const chunks: Uint8Array[] = [];
    if (data instanceof Uint8Array) chunks.push(data);
    else for await (const c of data) chunks.push(c);
    await this.mkdirs(path.slice(0, path.lastIndexOf('/')) || '/');
    this.files.set(path, new Uint8Array(Buffer.concat(chunks)));
  }

  async rename(from: string, to: string): Promise<void> {
    this.beforeOp('rename', from);
    const data = this.files.get(from);
    if (!data) throw new NotFoundError(from);
    if (this.files.has(to) || this.dirs.has(to)) throw new AlreadyExistsError(to);
    await this.mkdirs(to.slice(0, to.lastIndexOf('/')) || '/');
    this.files.delete(from);
    this.files.set(to, data);
  }

  async delete(path: string, options: { recursive?: boolean } = {}): Promise<boolean> {
    this.beforeOp('delete', path);
    if (this.files.delete(path)) return true;
    if (!this.dirs.has(path)) return false;
    const prefix = path + '/';
    const children = [...this.files.keys(), ...this.dirs].filter((p) => p.startsWith(prefix));
    if (children.length > 0 && !options.recursive) throw new Error(`folder not empty: ${path}`);
    for (const c of children) {
      this.files.delete(c);
      this.dirs.delete(c);
    }
    this.dirs.delete(path);
    return true;
  }

  async mkdirs(path: string): Promise<void> {
    for (const d of [...this.parentDirs(path), path]) if (d) this.dirs.add(d);
  }
}

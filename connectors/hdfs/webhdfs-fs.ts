// ArchiveFs over WebHDFS: archives, checkpoints and outputs on HDFS through the NameNode's HTTP API.

import { posix } from 'node:path';
import type { ArchiveFs, FileStatus, WriteOptions } from '../../src/archive-fs.js';
import { AlreadyExistsError, NotFoundError, OxbowError, RemoteError } from '../../src/errors.js';
import { checkPath, checkRange } from '../local/paths.js';
import type { HdfsFileStatus } from './types.js';
import { WebHdfsClient, type WebHdfsClientOptions } from './webhdfs-client.js';

export interface WebHdfsFsOptions extends WebHdfsClientOptions {
  /** Shown in messages; default `webhdfs://host:port`. */
  description?: string;
}

/**
 * Guarantees: `rename` is one NameNode call with rename options NONE, so it is atomic and never replaces or moves
 * into an existing path (AlreadyExistsError); `writeFile` streams to the DataNode and is not atomic (write a temp
 * file and rename it); HDFS creates missing parent folders on write.
 */
export class WebHdfsFs implements ArchiveFs {
  readonly description: string;
  readonly client: WebHdfsClient;

  constructor(options: WebHdfsFsOptions) {
    this.client = new WebHdfsClient(options);
    this.description = options.description ?? `webhdfs://${new URL(this.client.url).host}`;
  }

  async list(path: string): Promise<FileStatus[]> {
    const dir = checkPath(path);
    const entries = await this.client.listStatus(dir);
    // LISTSTATUS of a file answers with the file itself, under an empty name.
    if (entries.length === 1 && entries[0]!.pathSuffix === '' && entries[0]!.type !== 'DIRECTORY') {
      throw new OxbowError('NOT_A_DIRECTORY', `cannot list ${this.description}${dir}: it is a file, not a folder`);
    }
    return entries
      .map((e) => toStatus(posix.join(dir, e.pathSuffix), e))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async stat(path: string): Promise<FileStatus | null> {
    const p = checkPath(path);
    try {
      return toStatus(p, await this.client.getFileStatus(p));
    } catch (err) {
      if (err instanceof NotFoundError) return null;
      throw err;
    }
  }

  async readRange(path: string, start: number, end: number): Promise<Uint8Array> {
    const p = checkPath(path);
    checkRange(p, start, end);
    if (start === end) return new Uint8Array(0);
    try {
      return await this.client.read(p, { offset: start, length: end - start });
    } catch (err) {
      // HDFS refuses an offset past the end; the ArchiveFs contract cuts such a range short like Blob.slice.
      if (err instanceof RemoteError && /out of the range|offset.*(past|beyond|greater)/i.test(err.message)) {
        const st = await this.stat(p);
        if (st && start >= st.length) return new Uint8Array(0);
      }
      throw err;
    }
  }

  readFile(path: string): Promise<Uint8Array> {
    return this.client.read(checkPath(path));
  }

  async writeFile(path: string, data: Uint8Array | AsyncIterable<Uint8Array>, options: WriteOptions = {}): Promise<void> {
    const p = checkPath(path);
    await this.client.create(p, data, { overwrite: options.overwrite ?? false });
  }

  async rename(from: string, to: string): Promise<void> {
    const src = checkPath(from);
    const dst = checkPath(to);
    try {
      await this.client.renameStrict(src, dst);
    } catch (err) {
      // A file onto an existing folder fails with "must both be directories"; it is still a taken destination.
      if (err instanceof RemoteError && (await this.stat(dst)) !== null) {
        throw new AlreadyExistsError(dst, `cannot rename ${src} to ${dst}: ${dst} already exists`, { cause: err });
      }
      if (!(err instanceof NotFoundError)) throw err;
      // Either the source is gone, or the destination's folder is missing: create it, like writeFile would.
      if ((await this.stat(src)) === null) throw new NotFoundError(src, `cannot rename ${src} to ${dst}: ${src} does not exist`, { cause: err });
      await this.mkdirs(posix.dirname(dst));
      await this.client.renameStrict(src, dst);
    }
  }

  async delete(path: string, options: { recursive?: boolean } = {}): Promise<boolean> {
    const p = checkPath(path);
    try {
      return await this.client.delete(p, options.recursive ?? false);
    } catch (err) {
      if (err instanceof RemoteError && err.remoteException === 'PathIsNotEmptyDirectoryException') {
        throw new OxbowError('NOT_EMPTY', `cannot delete ${p}: the folder is not empty; delete it recursively to remove its contents`, { cause: err });
      }
      throw err;
    }
  }

  async mkdirs(path: string): Promise<void> {
    const p = checkPath(path);
    try {
      if (await this.client.mkdirs(p)) return;
    } catch (err) {
      if (err instanceof RemoteError && /ParentNotDirectory|FileAlreadyExists/.test(err.remoteException)) {
        throw new AlreadyExistsError(p, `cannot create folder ${p}: a file is in the way (${err.message})`, { cause: err });
      }
      throw err;
    }
    throw new RemoteError('MkdirsRefused', 200, `cannot create folder ${p}: the NameNode answered false`);
  }
}

function toStatus(path: string, e: HdfsFileStatus): FileStatus {
  return {
    path,
    name: posix.basename(path),
    type: e.type === 'DIRECTORY' ? 'directory' : 'file',
    length: e.type === 'DIRECTORY' ? 0 : e.length,
    modificationTime: e.modificationTime,
  };
}

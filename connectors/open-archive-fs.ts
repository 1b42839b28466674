// Opens the storage a URI names: one call turns `file://./fixtures/x` or `webhdfs://nn:9870/archive` into an ArchiveFs and a root path.

import type { ArchiveFs } from '../src/archive-fs.js';
import { WebHdfsFs, type WebHdfsFsOptions } from './hdfs/webhdfs-fs.js';
import { LocalFs } from './local/local-fs.js';
import { parseArchiveUri, type ArchiveLocation, type ParseUriOptions } from './uri.js';

export interface OpenArchiveFsOptions extends ParseUriOptions {
  /**
   * For webhdfs:// and swebhdfs://: stall timeout, retries, `dataNodes` (the hosts redirects may go to besides the
   * NameNode's; default OXBOW_WEBHDFS_DATANODES read from `env`). The address and user come from the URI.
   */
  webhdfs?: Omit<WebHdfsFsOptions, 'url' | 'user' | 'description'>;
}

export interface OpenedArchiveFs {
  fs: ArchiveFs;
  /** The absolute path inside `fs` the URI points at; join archive paths onto it. */
  root: string;
  location: ArchiveLocation;
}

/** Parse `uri` and open its file system. No I/O happens here: a missing root or an unreachable NameNode shows on first use. */
export function openArchiveFs(uri: string, options: OpenArchiveFsOptions = {}): OpenedArchiveFs {
  const location = parseArchiveUri(uri, options);
  if (location.scheme === 'file') {
    return { fs: new LocalFs(), root: location.root, location };
  }
  const fs = new WebHdfsFs({
    ...options.webhdfs,
    env: options.webhdfs?.env ?? options.env,
    url: location.baseUrl,
    user: location.user,
    description: `${location.scheme}://${new URL(location.baseUrl).host}`,
  });
  return { fs, root: location.root, location };
}

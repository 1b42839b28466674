// Storage URIs as every command opens them: one `--datanodes` option, passed to the WebHDFS client of each URI.

import { openArchiveFs, type OpenedArchiveFs } from '../../connectors/open-archive-fs.js';

export interface StorageCliOptions {
  datanodes?: string;
}

/** `--datanodes`, for every command that opens webhdfs:// URIs: `.option(...DATANODES_OPTION)`. */
export const DATANODES_OPTION = [
  '--datanodes <hosts>',
  "WebHDFS: DataNode hosts the NameNode may redirect to besides its own, comma-separated ('*': any host); default: OXBOW_WEBHDFS_DATANODES",
] as const;

/** Opens URIs with the command's storage options (the DataNode allow-list; unset: the environment variable decides). */
export function storageOpener(opts: StorageCliOptions): (uri: string) => OpenedArchiveFs {
  const dataNodes = opts.datanodes === undefined ? undefined : opts.datanodes.split(',').map((h) => h.trim()).filter((h) => h !== '');
  return (uri) => openArchiveFs(uri, dataNodes === undefined ? {} : { webhdfs: { dataNodes } });
}

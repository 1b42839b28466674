// Storage URIs as every command opens them: one `--datanodes` option, passed to the WebHDFS client of each URI.

import { readFileSync } from 'node:fs';
import { Option } from 'commander';
import { openArchiveFs, type OpenArchiveFsOptions, type OpenedArchiveFs } from '../../connectors/open-archive-fs.js';
import { UsageError } from '../errors.js';

export interface StorageCliOptions {
  datanodes?: string;
  webhdfsCa?: string;
  webhdfsTokenFile?: string;
}

/** The storage options of every command that opens webhdfs:// or swebhdfs:// URIs: `.option(...DATANODES_OPTION)` and so on. */
export const DATANODES_OPTION = [
  '--datanodes <hosts>',
  "WebHDFS: DataNode hosts the NameNode may redirect to besides its own, comma-separated ('*': any host); default: OXBOW_WEBHDFS_DATANODES",
] as const;
export const WEBHDFS_CA_OPTION = [
  '--webhdfs-ca <file>',
  "swebhdfs://: PEM file of the CA that signed the NameNode's and DataNodes' certificates (default: Node's bundled CAs)",
] as const;
export const WEBHDFS_TOKEN_OPTION = [
  '--webhdfs-token-file <file>',
  'WebHDFS: a file holding a Hadoop delegation token, sent instead of user.name (default: OXBOW_WEBHDFS_TOKEN); see docs/security.md',
] as const;

function readOption(option: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`${option} ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

/** What the storage options say for WebHDFS; files are read here, so a bad path fails before any work starts. */
export function webhdfsOptions(opts: StorageCliOptions, env: NodeJS.ProcessEnv = process.env): NonNullable<OpenArchiveFsOptions['webhdfs']> {
  const out: NonNullable<OpenArchiveFsOptions['webhdfs']> = {};
  if (opts.datanodes !== undefined) out.dataNodes = opts.datanodes.split(',').map((h) => h.trim()).filter((h) => h !== '');
  if (opts.webhdfsCa !== undefined) {
    out.ca = readOption('--webhdfs-ca', opts.webhdfsCa);
    if (!out.ca.includes('-----BEGIN ')) throw new UsageError(`--webhdfs-ca ${opts.webhdfsCa} is not a PEM file (no '-----BEGIN' line)`);
  }
  const token = opts.webhdfsTokenFile !== undefined ? readOption('--webhdfs-token-file', opts.webhdfsTokenFile).trim() : env.OXBOW_WEBHDFS_TOKEN?.trim();
  if (token !== undefined && token !== '') {
    if (!/^[A-Za-z0-9_-]+$/.test(token)) {
      throw new UsageError(`the WebHDFS delegation token (${opts.webhdfsTokenFile !== undefined ? `--webhdfs-token-file ${opts.webhdfsTokenFile}` : 'OXBOW_WEBHDFS_TOKEN'}) is not a URL-safe token string as hdfs fetchdt --print or GETDELEGATIONTOKEN's urlString give it`);
    }
    out.delegation = token;
  }
  return out;
}

/** Opens URIs with the command's storage options (unset: the environment decides). */
export function storageOpener(opts: StorageCliOptions): (uri: string) => OpenedArchiveFs {
  const webhdfs = webhdfsOptions(opts);
  return (uri) => openArchiveFs(uri, { webhdfs });
}

/** Which writer's archive a command reads: oxbow's own, or Kafka Connect HDFS's (connectors/connect/connect-catalog.ts). */
export type ArchiveLayout = 'oxbow' | 'connect';

export interface ArchiveLayoutCliOptions {
  archiveLayout: ArchiveLayout;
  offsetField?: string;
}

/** `--archive-layout` and `--offset-field`, for the commands that read archives: `.addOption(o)` for each. */
export function archiveLayoutOptions(): Option[] {
  return [
    new Option('--archive-layout <layout>', 'oxbow (files oxbow archive wrote) or connect (a Kafka Connect HDFS archive, Parquet or JSON, any partitioner); see docs/archive.md')
      .choices(['oxbow', 'connect']).default('oxbow'),
    new Option('--offset-field <field>', "with --archive-layout connect: the value field holding each record's Kafka offset (the connector's InsertField transform, offset.field)"),
  ];
}

/** `--offset-field` belongs to the Connect layout: oxbow's archives store every offset. */
export function checkArchiveLayout(opts: ArchiveLayoutCliOptions): void {
  if (opts.offsetField !== undefined && opts.archiveLayout !== 'connect') {
    throw new UsageError("--offset-field is for --archive-layout connect (oxbow's archives store every offset)");
  }
}

// Parses the archive/output URIs users type (`file://./fixtures/x`, `/data`, `webhdfs://nn:9870/archive?user=etl`) into where and how to connect.

import { userInfo } from 'node:os';
import { posix, resolve } from 'node:path';
import { UsageError } from '../src/errors.js';
import { redactCredentials } from '../src/redact.js';

export const ACCEPTED_URI_FORMS =
  '/abs/path, ./relative/path, file:///abs/path, file://./relative/path, ' +
  'webhdfs://namenode:9870/path[?user=NAME] (HTTP), swebhdfs://namenode:9871/path[?user=NAME] (HTTPS)';

export interface LocalLocation {
  scheme: 'file';
  /** Absolute local path. */
  root: string;
}

export interface WebHdfsLocation {
  scheme: 'webhdfs' | 'swebhdfs';
  /** `http://host:port` of the NameNode's HTTP server. */
  baseUrl: string;
  /** Absolute HDFS path. */
  root: string;
  /** HDFS user name sent as `user.name` (simple auth). */
  user: string;
}

export type ArchiveLocation = LocalLocation | WebHdfsLocation;

export interface ParseUriOptions {
  /** Base for relative paths; defaults to process.cwd(). */
  cwd?: string;
  /** Where HADOOP_USER_NAME is read from; defaults to process.env. */
  env?: Record<string, string | undefined>;
}

const defaultPorts = { webhdfs: 9870, swebhdfs: 9871 } as const;

export function parseArchiveUri(uri: string, options: ParseUriOptions = {}): ArchiveLocation {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  if (typeof uri !== 'string' || uri.trim() === '') throw bad(String(uri), 'it is empty');
  const text = uri.trim();
  const schemeMatch = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(text);
  if (!schemeMatch) return { scheme: 'file', root: normalize(resolve(cwd, text)) };
  const scheme = schemeMatch[1]!.toLowerCase();
  switch (scheme) {
    case 'file':
      return { scheme: 'file', root: parseFileUri(text, cwd) };
    case 'webhdfs':
    case 'swebhdfs':
      return parseWebHdfsUri(text, scheme, env);
    case 'hdfs':
      throw bad(text, "hdfs:// is the NameNode's RPC protocol, which oxbow does not speak; use webhdfs://namenode:9870/path (the NameNode's HTTP address, dfs.namenode.http-address)");
    default:
      throw bad(text, `the scheme '${scheme}:' is not supported`);
  }
}

function parseFileUri(text: string, cwd: string): string {
  if (/[?#]/.test(text)) throw bad(text, 'file URIs take no ?query or #fragment');
  const rest = text.slice('file:'.length);
  // `file://./x` and `file://../x` are relative to the working directory (the README's `npm start` uses them).
  const relative = /^\/\/(\.\.?)(\/.*)?$/.exec(rest);
  if (relative) return normalize(resolve(cwd, decode(text, rest.slice(2))));
  // `file:///abs`, `file://localhost/abs`, and Hadoop's `file:/abs`.
  const absolute = /^(?:\/\/(?:localhost)?(\/.*)|(\/(?!\/).*))$/i.exec(rest);
  if (absolute) return normalize(decode(text, (absolute[1] ?? absolute[2])!));
  if (rest.startsWith('//')) throw bad(text, 'a file URI names no host; write file:///abs/path or file://./relative/path');
  throw bad(text, 'a file URI needs an absolute path (file:///abs/path) or one starting with ./ (file://./relative/path)');
}

function parseWebHdfsUri(text: string, scheme: 'webhdfs' | 'swebhdfs', env: Record<string, string | undefined>): WebHdfsLocation {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // No cause: URL's TypeError carries the whole input, credentials included.
    throw bad(text, 'it is not a well-formed URI');
  }
  if (!text.slice(scheme.length + 1).startsWith('//') || url.hostname === '') {
    throw bad(text, `it names no NameNode host; write ${scheme}://namenode:${defaultPorts[scheme]}/path`);
  }
  if (url.hash) throw bad(text, 'it has a #fragment; remove it');
  if (url.username || url.password) throw bad(text, 'credentials in the URI are not supported; pass the HDFS user as ?user=NAME');
  let user: string | undefined;
  for (const [key, value] of url.searchParams) {
    if (key !== 'user') throw bad(text, `the query parameter '${key}' is unknown; the only one is ?user=NAME`);
    if (value === '') throw bad(text, '?user= is empty; give an HDFS user name or leave it out');
    user = value;
  }
  const port = url.port === '' ? defaultPorts[scheme] : Number(url.port);
  const protocol = scheme === 'webhdfs' ? 'http' : 'https';
  return {
    scheme,
    baseUrl: `${protocol}://${url.hostname}:${port}`,
    root: normalize(decode(text, url.pathname === '' ? '/' : url.pathname)),
    user: user ?? defaultHadoopUser(text, env),
  };
}

/** HDFS simple auth needs a user: HADOOP_USER_NAME like the Hadoop CLI, else the OS user. */
function defaultHadoopUser(text: string, env: Record<string, string | undefined>): string {
  const fromEnv = env['HADOOP_USER_NAME'];
  if (fromEnv) return fromEnv;
  try {
    const name = userInfo().username;
    if (name) return name;
  } catch {
    // No passwd entry (some containers): fall through to the login variables.
  }
  const login = env['USER'] ?? env['LOGNAME'];
  if (login) return login;
  throw new UsageError(`${redactCredentials(text)}: no HDFS user name is known; add ?user=NAME to the URI or set HADOOP_USER_NAME`);
}

function decode(text: string, part: string): string {
  try {
    return decodeURIComponent(part);
  } catch (err) {
    throw bad(text, 'it has a malformed %-escape', err);
  }
}

function normalize(path: string): string {
  const p = posix.normalize(path);
  return p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
}

/** The URI is shown with any credentials masked: this message reaches the terminal and logs. */
function bad(uri: string, why: string, cause?: unknown): UsageError {
  return new UsageError(`storage URI '${redactCredentials(uri)}': ${why}. Accepted forms: ${ACCEPTED_URI_FORMS}`, cause === undefined ? {} : { cause });
}

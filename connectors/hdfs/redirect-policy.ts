// Which NameNode redirects the WebHDFS client follows: http(s) only, never HTTPS to HTTP, only to trusted hosts.
//
// The NameNode's 307 sends our data (CREATE/APPEND) and our user name to whatever host it names; a NameNode that is
// compromised, misconfigured or spoofed must not be able to point the client at an arbitrary machine or an internal
// service. Trusted are the NameNode's own host and the DataNode hosts the user lists.

import { RemoteError, UsageError } from '../../src/errors.js';
import { redactCredentials } from '../../src/redact.js';

/** Read when the client's `dataNodes` option is not given: `dn1,dn2.example.com:9864`, or `*` for any host. */
export const DATANODES_ENV = 'OXBOW_WEBHDFS_DATANODES';

interface TrustedHost {
  hostname: string;
  /** null: any port. DataNodes serve HTTP and HTTPS on different ports (and mini clusters on ephemeral ones), so
   * trust belongs to the machine; a port the user writes is still honoured, it narrows what they trust. */
  port: number | null;
}

export class RedirectPolicy {
  private constructor(
    private readonly nameNode: URL,
    /** 'any' for `*`. */
    private readonly trusted: readonly TrustedHost[] | 'any',
    /** Where the list came from, for messages. */
    private readonly source: string,
  ) {}

  /**
   * `dataNodes` as given to the client; when undefined, OXBOW_WEBHDFS_DATANODES from `env`. A malformed entry is a
   * UsageError naming it and where it came from.
   */
  static create(nameNodeUrl: string, dataNodes: readonly string[] | undefined, env: Record<string, string | undefined>): RedirectPolicy {
    const fromEnv = dataNodes === undefined;
    const entries = fromEnv ? (env[DATANODES_ENV] ?? '').split(',') : dataNodes;
    const source = fromEnv ? DATANODES_ENV : 'the dataNodes option (--datanodes)';
    const parsed = entries.map((e) => e.trim()).filter((e) => e !== '').map((e) => parseEntry(e, source));
    const trusted = parsed.includes('any') ? 'any' : (parsed as TrustedHost[]);
    return new RedirectPolicy(new URL(nameNodeUrl), trusted, source);
  }

  /**
   * The absolute URL to follow. A malformed location is a RemoteError (BadRedirect: the server's fault); an untrusted
   * one is a UsageError, since only the user can decide to trust a host (`--datanodes`): retrying cannot mend it.
   */
  follow(location: string, status: number, doing: string): string {
    const from = `the NameNode at ${this.nameNode.origin}`;
    let url: URL;
    try {
      url = new URL(location, this.nameNode);
    } catch {
      throw new RemoteError('BadRedirect', status, `${doing}: ${from} redirected to '${redactCredentials(location)}', which is not a URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new RemoteError('BadRedirect', status, `${doing}: ${from} redirected to a ${url.protocol} location; only http(s) DataNodes are followed`);
    }
    if (this.nameNode.protocol === 'https:' && url.protocol === 'http:') {
      throw new UsageError(
        `${doing}: ${from} redirected to plain http://${url.host}; an HTTPS NameNode is never followed to HTTP, where the ` +
        'data and the user name would travel unencrypted. Serve the DataNodes over HTTPS (dfs.http.policy=HTTPS_ONLY), ' +
        'or use webhdfs:// if plain HTTP is intended');
    }
    if (!this.trusts(url)) {
      const listed = this.trusted === 'any' || this.trusted.length === 0 ? '' : ` (trusted now: ${this.trusted.map(show).join(', ')}, from ${this.source})`;
      throw new UsageError(
        `${doing}: ${from} redirected to ${url.host}, which is not a trusted host${listed}, so it was not followed. ` +
        `Redirects are followed only to the NameNode's own host and to listed DataNode hosts; if ${url.hostname} is ` +
        `one of your DataNodes, pass --datanodes ${url.hostname}[,HOST...] or set ${DATANODES_ENV}=${url.hostname}[,HOST...] ` +
        "('*' trusts any host)");
    }
    return url.href;
  }

  private trusts(url: URL): boolean {
    if (this.trusted === 'any' || sameHost(url.hostname, this.nameNode.hostname)) return true;
    const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
    return this.trusted.some((t) => sameHost(t.hostname, url.hostname) && (t.port === null || t.port === port));
  }
}

/** `dn1`, `dn1:9864`, `[::1]:9864`, `http://dn1:9864/`, or `*`. */
function parseEntry(entry: string, source: string): TrustedHost | 'any' {
  if (entry === '*') return 'any';
  const bare = entry.replace(/^https?:\/\//i, '').replace(/\/$/, '');
  const m = /^(\[[0-9A-Fa-f:.]+\]|[^\s:/?#@[\]]+)(?::(\d{1,5}))?$/.exec(bare);
  const port = m?.[2] === undefined ? null : Number(m[2]);
  let hostname: string | undefined;
  try {
    hostname = m ? normalize(new URL(`http://${m[1]}`).hostname) : undefined;
  } catch {
    hostname = undefined;
  }
  if (hostname === undefined || (port !== null && (port < 1 || port > 65535))) {
    throw new UsageError(`DataNode host '${redactCredentials(entry)}' in ${source} is not HOST or HOST:PORT; write e.g. dn1.example.com,dn2.example.com or * for any host`);
  }
  return { hostname, port };
}

function normalize(hostname: string): string {
  return hostname.toLowerCase().replace(/\.$/, '');
}

/**
 * Loopback names are one host: `localhost`, 127.0.0.0/8 and ::1 all stay on this machine, and a NameNode addressed
 * as `localhost` commonly redirects to `127.0.0.1`. Only loopback to loopback: a remote NameNode pointing us at our own
 * machine is exactly the redirect to refuse.
 */
function sameHost(a: string, b: string): boolean {
  const x = normalize(a);
  const y = normalize(b);
  return x === y || (isLoopback(x) && isLoopback(y));
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname.endsWith('.localhost') || /^127\.\d+\.\d+\.\d+$/.test(hostname)
    || hostname === '[::1]' || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(hostname);
}

function show(t: TrustedHost): string {
  return t.port === null ? t.hostname : `${t.hostname}:${t.port}`;
}

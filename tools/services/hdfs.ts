// HDFS with WebHDFS on loopback: one NameNode and one DataNode in a single JVM, from hadoop-client-minicluster's MiniHadoopClusterManager.

import { access, mkdir, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { OxbowError } from '../../src/errors.js';
import type { ServicePorts } from './config.js';
import type { Probe, ServiceDefinition } from './service.js';
import { ensureServerTls, type ServerTls } from './tls.js';

const PROBE_TIMEOUT_MS = 2000;

/** Written once a fresh start answers, read back after a restart: a real block, not just the namespace. */
export const SEED_PATH = '/.oxbow-services/restart-probe';
const SEED_TEXT = 'written by npm run services -- start; read back after a restart to know the DataNode reported its blocks\n';

async function getJson(url: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS), redirect: 'manual' });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Keep the text for the reason.
  }
  return { status: response.status, body };
}

interface NameNodeInfo {
  Safemode?: string;
  LiveNodes?: string;
}

/** Answering means: WebHDFS lists `/`, safe mode is off, and at least one DataNode is live (or no write could succeed). */
async function probe(ports: ServicePorts): Promise<Probe> {
  const base = `http://127.0.0.1:${ports.webhdfs}`;
  try {
    const list = await getJson(`${base}/webhdfs/v1/?op=LISTSTATUS&user.name=oxbow`);
    if (list.status !== 200 || typeof list.body !== 'object' || list.body === null || !('FileStatuses' in list.body)) {
      return { ok: false, reason: `${base}: LISTSTATUS / answered ${list.status}` };
    }
    const jmx = await getJson(`${base}/jmx?qry=Hadoop:service=NameNode,name=NameNodeInfo`);
    const bean = (jmx.body as { beans?: NameNodeInfo[] } | undefined)?.beans?.[0];
    if (bean === undefined) return { ok: false, reason: `${base}: no NameNodeInfo in /jmx yet` };
    if (bean.Safemode !== undefined && bean.Safemode !== '') return { ok: false, reason: `${base}: NameNode in safe mode: ${bean.Safemode}` };
    const live = Object.keys(JSON.parse(bean.LiveNodes ?? '{}') as object).length;
    if (live === 0) return { ok: false, reason: `${base}: no live DataNode yet` };
    return { ok: true };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    return { ok: false, reason: `${base}: ${cause ?? (err as Error).message}` };
  }
}

function seedUrl(ports: ServicePorts, op: string): string {
  return `http://127.0.0.1:${ports.webhdfs}/webhdfs/v1${SEED_PATH}?op=${op}&user.name=oxbow`;
}

/**
 * PUTs `body` to the DataNode URL a CREATE was redirected to. Not with fetch: the DataNode answers "100 Continue"
 * before its final status, which fetch (undici) rejects as a bad response; node:http skips it.
 */
function putToDataNode(url: string, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolvePut, reject) => {
    const req = request(url, { method: 'PUT', timeout: 10_000, headers: { 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolvePut({ status: res.statusCode ?? 0, text }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`PUT to the DataNode timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** Writes the seed file unless it is there whole (a write that failed half way leaves an empty file behind). */
async function seed(ports: ServicePorts): Promise<void> {
  const status = await getJson(seedUrl(ports, 'GETFILESTATUS'));
  const length = (status.body as { FileStatus?: { length?: number } } | undefined)?.FileStatus?.length;
  if (status.status === 200 && length === Buffer.byteLength(SEED_TEXT)) return;
  const redirect = await fetch(seedUrl(ports, 'CREATE&overwrite=true'), { method: 'PUT', redirect: 'manual', signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
  const location = redirect.headers.get('location');
  const answer = await redirect.text();
  if (redirect.status !== 307 || location === null) throw new Error(`CREATE ${SEED_PATH} answered ${redirect.status}: ${answer.slice(0, 300)}`);
  const created = await putToDataNode(location, SEED_TEXT);
  if (created.status !== 201) throw new Error(`CREATE ${SEED_PATH} at the DataNode answered ${created.status}: ${created.text.slice(0, 300)}`);
}

/**
 * A restarted minicluster keeps its namespace and blocks, but until the DataNode's block report is in, reads fail
 * with 403 "No active and not excluded nodes contain this block" although WebHDFS answers: pass only when the seed
 * file reads back whole. A missing or broken seed (deleted, the instance predates seeds, a failed write) is written
 * anew and read next time: then the wait proves only that blocks can be written and read, not that old ones are back.
 */
async function probeSeed(ports: ServicePorts): Promise<Probe> {
  try {
    const response = await fetch(seedUrl(ports, 'OPEN'), { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    const text = await response.text();
    if (response.status === 200 && text === SEED_TEXT) return { ok: true };
    if (response.status === 404 || response.status === 200) {
      await seed(ports);
      return { ok: false, reason: `${SEED_PATH} was ${response.status === 404 ? 'missing' : `not whole (${text.length} bytes)`}; written anew` };
    }
    return { ok: false, reason: `OPEN ${SEED_PATH} answered ${response.status}: ${text.slice(0, 200)}` };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    return { ok: false, reason: `OPEN ${SEED_PATH}: ${cause ?? (err as Error).message}` };
  }
}

/** MiniHadoopClusterManager's arguments; without `-format` it starts on the namespace and blocks already in `dataDir`. */
function miniClusterArgs(ports: ServicePorts, dir: string, keepData: boolean): string[] {
  return [
    'org.apache.hadoop.mapreduce.MiniHadoopClusterManager',
    '-nomr',
    ...(keepData ? [] : ['-format']),
    '-datanodes',
    '1',
    '-nnport',
    String(ports.namenode),
    '-nnhttpport',
    String(ports.webhdfs),
    '-writeDetails',
    join(dir, 'details.json'),
  ];
}

/** Hadoop reads its HTTPS server keystore from this resource, found on the classpath (the conf folder comes first). */
function sslServerXml(tls: ServerTls): string {
  const property = (name: string, value: string) => `  <property><name>${name}</name><value>${value}</value></property>`;
  return [
    '<?xml version="1.0"?>',
    '<!-- Written by oxbow services start: the HTTPS certificate of the NameNode and the DataNode (tls/). -->',
    '<configuration>',
    property('ssl.server.keystore.type', 'pkcs12'),
    property('ssl.server.keystore.location', tls.keystore),
    property('ssl.server.keystore.password', tls.password),
    property('ssl.server.keystore.keypassword', tls.password),
    '</configuration>',
    '',
  ].join('\n');
}

export const hdfsService: ServiceDefinition = {
  name: 'hdfs',
  title: 'HDFS (NameNode + DataNode)',
  pom: 'hdfs',
  ports: (ports) => [
    { port: ports.namenode, what: 'HDFS NameNode RPC', variable: 'OXBOW_NAMENODE_PORT' },
    { port: ports.webhdfs, what: 'HDFS NameNode HTTP / WebHDFS', variable: 'OXBOW_WEBHDFS_PORT' },
    { port: ports.webhdfsHttps, what: 'HDFS NameNode HTTPS / WebHDFS over TLS', variable: 'OXBOW_WEBHDFS_HTTPS_PORT' },
  ],
  async prepare(ctx) {
    const dataDir = join(ctx.dir, 'data');
    const tmpDir = join(ctx.dir, 'tmp');
    if (ctx.keepData) {
      await access(join(dataDir, 'dfs')).catch(() => {
        throw new OxbowError('SERVICE_START', `HDFS: nothing to restart with, ${join(dataDir, 'dfs')} is missing; start it afresh (npm run services -- start)`);
      });
    } else {
      await rm(dataDir, { recursive: true, force: true });
      await rm(tmpDir, { recursive: true, force: true });
      await mkdir(dataDir, { recursive: true });
      await mkdir(tmpDir, { recursive: true });
    }
    // WebHDFS over TLS beside plain HTTP, as secured clusters serve it (dfs.http.policy HTTP_AND_HTTPS).
    const tls = await ensureServerTls(ctx, 'hdfs');
    const confDir = join(ctx.dir, 'conf');
    await mkdir(confDir, { recursive: true });
    await writeFile(join(confDir, 'ssl-server.xml'), sslServerXml(tls), { mode: 0o600 });
    return [
      '-Xms256m',
      '-Xmx1g',
      '-Djava.awt.headless=true',
      // MiniDFSCluster keeps its NameNode and DataNode folders under test.build.data.
      `-Dtest.build.data=${dataDir}`,
      `-Djava.io.tmpdir=${tmpDir}`,
      '-Dorg.slf4j.simpleLogger.showDateTime=true',
      '-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd HH:mm:ss,SSS',
      // One audit line per request would bury everything else.
      '-Dorg.slf4j.simpleLogger.log.org.apache.hadoop.hdfs.server.namenode.FSNamesystem.audit=warn',
      '-Dorg.slf4j.simpleLogger.log.org.apache.hadoop.hdfs.StateChange=warn',
      '-Dorg.slf4j.simpleLogger.log.org.apache.hadoop.hdfs.server.datanode.DataNode.clienttrace=warn',
      '-cp',
      `${confDir}:${ctx.classpath}`,
      ...miniClusterArgs(ctx.ports, ctx.dir, ctx.keepData),
      '-D',
      `hadoop.tmp.dir=${tmpDir}`,
      '-D',
      'dfs.permissions.enabled=false',
      '-D',
      'dfs.replication=1',
      '-D',
      'dfs.namenode.safemode.extension=0',
      // WebHDFS redirects name the DataNode by host: keep it the loopback address, never a host name.
      '-D',
      'dfs.datanode.hostname=127.0.0.1',
      '-D',
      'dfs.namenode.datanode.registration.ip-hostname-check=false',
      '-D',
      'dfs.http.policy=HTTP_AND_HTTPS',
      '-D',
      `dfs.namenode.https-address=127.0.0.1:${ctx.ports.webhdfsHttps}`,
      '-D',
      'dfs.datanode.https.address=127.0.0.1:0',
      // A WebHDFS CREATE ends with the DataNode's own client asking the NameNode to complete the file; when the
      // block's receipt has not reached the NameNode yet, that client sleeps 400 ms (Hadoop's default) before asking
      // again, so about every other small write took 420 ms here. Tests write thousands of small files (checkpoints,
      // outputs, archive files): 20 ms keeps them from waiting on that sleep. The sleep doubles at each of a fixed
      // number of tries, after which the close fails ("does not have enough number of replicas"): 5 tries from 20 ms
      // would give up after 0.62 s on a busy machine, so 10 tries (20.5 s in all, Hadoop's defaults 12.4 s) keep it
      // at least as patient as a default cluster. Only how soon a close returns changes.
      '-D',
      'dfs.client.block.write.locateFollowingBlock.initial.delay.ms=20',
      '-D',
      'dfs.client.block.write.locateFollowingBlock.retries=10',
    ];
  },
  probe,
  probeKeptData: probeSeed,
  seed,
  env: (ports, dir) => ({
    OXBOW_WEBHDFS_URL: `http://127.0.0.1:${ports.webhdfs}`,
    OXBOW_WEBHDFS_HTTPS_URL: `https://127.0.0.1:${ports.webhdfsHttps}`,
    OXBOW_WEBHDFS_CA: join(dir, 'tls', 'ca.pem'),
  }),
};

// HDFS with WebHDFS on loopback: one NameNode and one DataNode in a single JVM, from hadoop-client-minicluster's MiniHadoopClusterManager.

import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ServicePorts } from './config.js';
import type { Probe, ServiceDefinition } from './service.js';

const PROBE_TIMEOUT_MS = 2000;

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

export const hdfsService: ServiceDefinition = {
  name: 'hdfs',
  title: 'HDFS (NameNode + DataNode)',
  pom: 'hdfs',
  ports: (ports) => [
    { port: ports.namenode, what: 'HDFS NameNode RPC', variable: 'OXBOW_NAMENODE_PORT' },
    { port: ports.webhdfs, what: 'HDFS NameNode HTTP / WebHDFS', variable: 'OXBOW_WEBHDFS_PORT' },
  ],
  async prepare(ctx) {
    const dataDir = join(ctx.dir, 'data');
    const tmpDir = join(ctx.dir, 'tmp');
    await rm(dataDir, { recursive: true, force: true });
    await rm(tmpDir, { recursive: true, force: true });
    await mkdir(dataDir, { recursive: true });
    await mkdir(tmpDir, { recursive: true });
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
      ctx.classpath,
      'org.apache.hadoop.mapreduce.MiniHadoopClusterManager',
      '-nomr',
      '-format',
      '-datanodes',
      '1',
      '-nnport',
      String(ctx.ports.namenode),
      '-nnhttpport',
      String(ctx.ports.webhdfs),
      '-writeDetails',
      join(ctx.dir, 'details.json'),
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
    ];
  },
  probe,
  env: (ports) => ['OXBOW_WEBHDFS_URL', `http://127.0.0.1:${ports.webhdfs}`],
};

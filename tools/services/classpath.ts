// Resolves a service's Java classpath from its pinned pom with Maven, cached in the state folder so a second start needs no Maven at all.

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { OxbowError } from '../../src/errors.js';
import { getLogger } from '../../src/logger.js';
import type { ServicesConfig } from './config.js';

const log = getLogger('services');

/** Everything Maven printed, last lines only, with its colour codes removed. */
function lastLines(text: string, count: number): string {
  const lines = text.replace(/\u001b\[[0-9;]*m/g, '').split('\n').filter((l) => l.trim() !== '');
  return lines.slice(-count).join('\n');
}

function runMaven(config: ServicesConfig, pom: string, outputFile: string, offline: boolean): Promise<void> {
  const args = ['-B', '-q', '-Dstyle.color=never', ...(offline ? ['-o'] : []), '-f', pom, 'dependency:build-classpath', `-Dmdep.outputFile=${outputFile}`];
  return new Promise((resolveRun, reject) => {
    let output = '';
    const child = spawn(config.mvn, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', (err: NodeJS.ErrnoException) => {
      const hint = err.code === 'ENOENT' ? `"${config.mvn}" was not found: install Maven 3 (and Java 17), or point MVN at it` : err.message;
      reject(new OxbowError('SERVICES_MAVEN', `cannot resolve service jars: ${hint}`, { cause: err }));
    });
    child.once('close', (code) => {
      if (code === 0) resolveRun();
      else {
        reject(
          new OxbowError(
            'SERVICES_MAVEN',
            `Maven could not resolve ${pom} (exit ${code}); check that Maven Central is reachable or that ~/.m2 holds the artifacts. Maven said:\n${lastLines(output, 20)}`,
          ),
        );
      }
    });
  });
}

/** The classpath for tools/services/maven/<name>/pom.xml; Maven runs only when the pom changed or a cached jar went missing. */
export async function resolveClasspath(config: ServicesConfig, name: string): Promise<string> {
  const pom = join(config.repoRoot, 'tools', 'services', 'maven', name, 'pom.xml');
  const pomText = await readFile(pom, 'utf8').catch((err: unknown) => {
    throw new OxbowError('SERVICES_MAVEN', `the pom for ${name} is missing at ${pom}: is this an oxbow checkout?`, { cause: err });
  });
  const hash = createHash('sha256').update(pomText).digest('hex').slice(0, 16);
  const cacheDir = join(config.stateDir, 'classpath');
  const cacheFile = join(cacheDir, `${name}-${hash}.txt`);
  if (existsSync(cacheFile)) {
    const cached = (await readFile(cacheFile, 'utf8')).trim();
    if (cached !== '' && cached.split(delimiter).every((jar) => existsSync(jar))) return cached;
  }
  await mkdir(cacheDir, { recursive: true });
  log.info('resolving jars with Maven (cached in ~/.m2 after the first time)', { service: name, pom });
  const tmp = `${cacheFile}.${process.pid}.tmp`;
  // Offline first: with the jars in ~/.m2 no network is needed at all; only a cold cache goes to Maven Central.
  await runMaven(config, pom, tmp, true).catch(() => runMaven(config, pom, tmp, false));
  const classpath = (await readFile(tmp, 'utf8')).trim();
  if (classpath === '') throw new OxbowError('SERVICES_MAVEN', `Maven resolved an empty classpath for ${pom}`);
  await writeFile(tmp, classpath);
  await rename(tmp, cacheFile);
  return classpath;
}

// TLS for the services' secured listeners: a CA and a server certificate for 127.0.0.1 and localhost per service, made
// with the JDK's keytool (Java is needed anyway) the first time and kept in the service folder, so clients keep
// trusting its `ca.pem` across starts.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { access, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { OxbowError } from '../../src/errors.js';
import { tailFile } from './processes.js';
import type { PrepareContext } from './service.js';

/** A service's TLS material: the CA clients trust, and the server's key and certificate chain in a PKCS12 store. */
export interface ServerTls {
  dir: string;
  caPem: string;
  keystore: string;
  /** The store's and the key's password. */
  password: string;
}

/** Runs a JDK tool or a JVM main, output appended to the service log; a non-zero exit fails the start naming `what`. */
export async function runLogged(ctx: PrepareContext, command: string, args: string[], what: string): Promise<void> {
  const fd = openSync(ctx.logFile, 'a');
  try {
    const code = await new Promise<number | null>((resolveRun, reject) => {
      const child = spawn(command, args, { cwd: ctx.dir, stdio: ['ignore', fd, fd] });
      child.once('error', (err: NodeJS.ErrnoException) =>
        reject(new OxbowError('SERVICE_START', err.code === 'ENOENT' ? `"${command}" was not found: install Java 17, or point JAVA at it` : err.message, { cause: err })),
      );
      child.once('close', resolveRun);
    });
    if (code !== 0) {
      throw new OxbowError('SERVICE_START', `${what} failed (exit ${code}). Its log is ${ctx.logFile}; last lines:\n${await tailFile(ctx.logFile, 20)}`);
    }
  } finally {
    closeSync(fd);
  }
}

/** The JDK's keytool beside the configured java (JAVA=/path/bin/java), else on PATH. */
function keytool(ctx: PrepareContext): string {
  return ctx.config.java.includes('/') ? join(dirname(ctx.config.java), 'keytool') : 'keytool';
}

/** `<service dir>/tls/`: made once (7 keytool runs, about 4 s), then reused as long as its files are there. */
export async function ensureServerTls(ctx: PrepareContext, server: string): Promise<ServerTls> {
  const dir = join(ctx.dir, 'tls');
  const tls: ServerTls = { dir, caPem: join(dir, 'ca.pem'), keystore: join(dir, `${server}.p12`), password: '' };
  const passwordFile = join(dir, 'store-password');
  try {
    await access(tls.keystore);
    await access(tls.caPem);
    return { ...tls, password: (await readFile(passwordFile, 'utf8')).trim() };
  } catch {
    // made below
  }
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const password = randomBytes(12).toString('hex');
  const store = (file: string) => ['-keystore', join(dir, file), '-storetype', 'PKCS12', '-storepass', password];
  const kt = (args: string[], what: string) => runLogged(ctx, keytool(ctx), args, `keytool (${what})`);
  const serverStore = `${server}.p12`;
  await kt(['-genkeypair', ...store('ca.p12'), '-alias', 'ca', '-dname', 'CN=oxbow services CA', '-keyalg', 'RSA', '-keysize', '2048', '-validity', '3650', '-ext', 'bc:c'], 'the CA');
  await kt(['-exportcert', ...store('ca.p12'), '-alias', 'ca', '-rfc', '-file', tls.caPem], 'exporting the CA');
  await kt(['-genkeypair', ...store(serverStore), '-alias', server, '-dname', 'CN=localhost', '-keyalg', 'RSA', '-keysize', '2048', '-validity', '3650'], `the ${server} key`);
  await kt(['-certreq', ...store(serverStore), '-alias', server, '-file', join(dir, `${server}.csr`)], `the ${server} request`);
  await kt(['-gencert', ...store('ca.p12'), '-alias', 'ca', '-infile', join(dir, `${server}.csr`), '-outfile', join(dir, `${server}.pem`), '-rfc', '-validity', '3650',
    '-ext', 'SAN=ip:127.0.0.1,dns:localhost'], `signing the ${server} certificate`);
  await kt(['-importcert', ...store(serverStore), '-alias', 'ca', '-file', tls.caPem, '-noprompt'], 'importing the CA');
  await kt(['-importcert', ...store(serverStore), '-alias', server, '-file', join(dir, `${server}.pem`), '-noprompt'], `importing the ${server} certificate`);
  await writeFile(passwordFile, password, { mode: 0o600 });
  return { ...tls, password };
}

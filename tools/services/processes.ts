// Starts a service JVM in its own process group with a pid file, recognises it again later, and signals (stop, kill, pause) exactly that group.

import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { open, readFile, rm, writeFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';

export interface SpawnedService {
  pid: number;
  /** Resolves with the exit code when the process ends (only observable for processes this Node process started). */
  exited: Promise<number | null>;
}

/**
 * Spawns `command` detached (its own process group, so stop can end the JVM and anything it forks) with
 * stdout and stderr appended to `logFile`, and records its pid in `pidFile`.
 */
export async function spawnService(command: string, args: string[], options: { cwd: string; logFile: string; pidFile: string }): Promise<SpawnedService> {
  const fd = openSync(options.logFile, 'a');
  try {
    const child = spawn(command, args, { cwd: options.cwd, detached: true, stdio: ['ignore', fd, fd] });
    const exited = new Promise<number | null>((resolveExit) => {
      child.once('exit', (code) => resolveExit(code));
      child.once('error', () => resolveExit(null));
    });
    const pid = await new Promise<number>((resolveSpawn, reject) => {
      child.once('spawn', () => resolveSpawn(child.pid ?? 0));
      child.once('error', (err: NodeJS.ErrnoException) =>
        reject(new Error(err.code === 'ENOENT' ? `"${command}" was not found: install Java 17, or point JAVA at it` : err.message, { cause: err })),
      );
    });
    // The CLI must be able to exit while the service keeps running.
    child.unref();
    await writeFile(options.pidFile, `${pid}\n`);
    return { pid, exited };
  } finally {
    closeSync(fd);
  }
}

export async function readPid(pidFile: string): Promise<number | undefined> {
  const text = await readFile(pidFile, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 1 ? pid : undefined;
}

export async function removePidFile(pidFile: string): Promise<void> {
  await rm(pidFile, { force: true });
}

function procText(pid: number, file: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return undefined;
  }
}

/** True when a process with this pid exists (signal 0 checks without signalling). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * True when `pid` is a live process whose command line contains `marker` (a path inside this state folder),
 * so a pid reused by some other program, or a service of another checkout, is never taken for ours.
 */
export function isOurProcess(pid: number, marker: string): boolean {
  if (!isAlive(pid)) return false;
  const stat = procText(pid, 'stat');
  // A zombie has exited; only its parent has not collected it yet.
  if (stat !== undefined && /\) Z /.test(stat)) return false;
  const cmdline = procText(pid, 'cmdline');
  if (cmdline === undefined) return process.platform !== 'linux';
  return cmdline.split('\0').some((arg) => arg.includes(marker));
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True when the process is stopped by a signal (SIGSTOP): paused, not dead; it answers nothing until SIGCONT. */
export function isStopped(pid: number): boolean {
  const stat = procText(pid, 'stat');
  // The state letter follows the command name in parentheses, which may itself contain spaces or parentheses.
  return stat !== undefined && /\) [Tt] /.test(stat.slice(stat.lastIndexOf(')')));
}

/** The one place a whole process group gets a signal (negative pid: the JVM and everything it forked). */
export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // Already gone.
  }
}

/** SIGKILL to the process group; resolves once nothing of it is left (or after 10 s, should a process hang in the kernel). */
export async function killProcessGroup(pgid: number, leader: () => boolean): Promise<void> {
  signalGroup(pgid, 'SIGKILL');
  const deadline = Date.now() + 10_000;
  // Another process's exit cannot be awaited, only observed: poll it.
  while ((groupAlive(pgid) || leader()) && Date.now() < deadline) await delay(50);
}

/** SIGTERM to the process group, wait for it to empty, SIGKILL after `timeoutMs`; resolves once nothing of it is left. */
export async function stopProcessGroup(pgid: number, leader: () => boolean, timeoutMs: number): Promise<'terminated' | 'killed'> {
  signalGroup(pgid, 'SIGTERM');
  // A paused (SIGSTOPped) group would keep SIGTERM pending until continued, and then only die of SIGKILL.
  signalGroup(pgid, 'SIGCONT');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!groupAlive(pgid) && !leader()) return 'terminated';
    await delay(100);
  }
  await killProcessGroup(pgid, leader);
  return 'killed';
}

/** The last `count` non-empty lines of a log file, for error messages. */
export async function tailFile(path: string, count: number): Promise<string> {
  let text = '';
  try {
    // Logs grow large (the NameNode is chatty): read only their end.
    const handle = await open(path, 'r');
    try {
      const { size } = await handle.stat();
      const length = Math.min(size, 64 * 1024);
      const buffer = Buffer.alloc(length);
      await handle.read(buffer, 0, length, size - length);
      text = buffer.toString('utf8');
    } finally {
      await handle.close();
    }
  } catch {
    return '';
  }
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  return lines.slice(-count).join('\n');
}

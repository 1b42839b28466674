// sessionize's savepoint files (an engine snapshot alone, docs/engine.md): written atomically (temp file + rename) to
// the local fs or any ArchiveFs, read back with checks.

import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { writeAtomically, type ArchiveFs } from '../archive-fs.js';
import { NotFoundError, SavepointError } from '../errors.js';
import { parseSnapshot, type EngineSnapshot } from './snapshot-format.js';

/** The few ArchiveFs members a savepoint needs (an HDFS or local ArchiveFs fits). */
export type SavepointFs = Pick<ArchiveFs, 'writeFile' | 'rename' | 'delete' | 'readFile' | 'stat'>;

function encode(snapshot: EngineSnapshot): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(snapshot) + '\n');
}

/**
 * Writes the savepoint so that readers see the old file or the new one, never half of one.
 * With `fs` omitted it uses node's fs (rename replaces atomically); an ArchiveFs cannot rename onto
 * an existing file, so the old savepoint is deleted just before the rename.
 */
export async function writeSavepoint(target: string, snapshot: EngineSnapshot, fs?: SavepointFs): Promise<void> {
  const bytes = encode(snapshot);
  if (fs === undefined) {
    const dir = path.dirname(path.resolve(target));
    await fsp.mkdir(dir, { recursive: true });
    const tmp = path.join(dir, `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
    const handle = await fsp.open(tmp, 'w');
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await fsp.rename(tmp, target);
    } catch (err) {
      await fsp.rm(tmp, { force: true });
      throw err;
    }
    return;
  }
  await writeAtomically(fs, target, bytes);
}

/** Reads and checks a savepoint; every problem is a SavepointError naming the file, which is never modified. */
export async function readSavepoint(source: string, fs?: SavepointFs): Promise<EngineSnapshot> {
  let bytes: Uint8Array;
  try {
    bytes = fs === undefined ? await fsp.readFile(source) : await fs.readFile(source);
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' || err instanceof NotFoundError ? 'does not exist' : `cannot be read (${(err as Error).message})`;
    throw new SavepointError(source, `savepoint ${source} ${why}`, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (err) {
    throw new SavepointError(source, `savepoint ${source} is corrupt: not valid JSON (${(err as Error).message}); it was left untouched`, { cause: err });
  }
  return parseSnapshot(json, source);
}

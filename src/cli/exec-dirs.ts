/**
 * The temporary token directories of `irsa exec` and what happens when an `irsa exec` is killed (SIGKILL, OOM) before
 * it removes its own: each directory records its owner's pid and the command's process group, and the next `irsa
 * exec` removes directories whose owner is gone, stopping the command left running with them.
 * @module
 */
import { lstat, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Prefix of the directories under the system temporary directory. */
export const EXEC_DIR_PREFIX = 'irsa-exec-';
/** Name of the owner record inside a directory (not a DNS-1123 label, so no volume can collide with it). */
const OWNER_FILE = '.irsa-exec-owner';

interface OwnerRecord {
  pid: number;
  /** Process group of the command (its pid: it is started as a group leader). */
  pgid?: number;
}

/** Creates a private directory (mode 0700 whatever the umask) recording this process as its owner. */
export async function createExecDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), EXEC_DIR_PREFIX)); // mkdtemp creates it 0700
  await writeOwner(dir, { pid: process.pid });
  return dir;
}

/** Records the command's process group, so a later `irsa exec` can stop it if this one is killed. */
export async function recordCommandGroup(dir: string, pgid: number): Promise<void> {
  await writeOwner(dir, { pid: process.pid, pgid });
}

async function writeOwner(dir: string, record: OwnerRecord): Promise<void> {
  // flag 'w' on a path inside our own 0700 directory: nobody else can plant a link there
  await writeFile(join(dir, OWNER_FILE), `${JSON.stringify(record)}\n`, { mode: 0o600 });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True when process `pid` still runs with `dir` in its environment (the token paths point there): not a reused pid. */
async function runsIn(pid: number, dir: string): Promise<boolean> {
  try {
    return (await readFile(`/proc/${pid}/environ`, 'latin1')).includes(`${dir}/`);
  } catch {
    return false; // gone, not ours, or no /proc: leave it alone
  }
}

/**
 * Removes the `irsa-exec-*` directories of this user whose owner process is gone, first sending SIGTERM to the
 * command group left running with them; returns one line per directory removed (for stderr).
 */
export async function removeStaleExecDirs(root = tmpdir()): Promise<string[]> {
  const notes: string[] = [];
  let names: string[];
  try {
    names = (await readdir(root)).filter((n) => n.startsWith(EXEC_DIR_PREFIX));
  } catch {
    return notes;
  }
  const uid = process.getuid?.();
  for (const name of names) {
    const dir = join(root, name);
    try {
      const st = await lstat(dir);
      if (!st.isDirectory() || (uid !== undefined && st.uid !== uid)) continue; // symlinks and other users' are not ours
      const record = JSON.parse(await readFile(join(dir, OWNER_FILE), 'utf8')) as Partial<OwnerRecord>;
      if (typeof record.pid !== 'number' || !Number.isInteger(record.pid) || record.pid <= 0 || alive(record.pid)) continue;
      let stopped = '';
      const pgid = record.pgid;
      if (typeof pgid === 'number' && Number.isInteger(pgid) && pgid > 1 && (await runsIn(pgid, dir))) {
        try {
          process.kill(-pgid, 'SIGTERM');
          stopped = `; stopped its command (process group ${pgid})`;
        } catch {
          // ended meanwhile
        }
      }
      await rm(dir, { recursive: true, force: true });
      notes.push(`removed ${dir} left by irsa exec (pid ${record.pid}) that ended without cleaning up${stopped}`);
    } catch {
      // no owner record (being created, or an older irsa), unreadable, or removed meanwhile: not ours to judge
    }
  }
  return notes;
}

/**
 * Where an embedded cluster keeps its data. tmpfs (/dev/shm) is fastest, but
 * Docker gives containers a 64 MB /dev/shm, which a run outgrows (this
 * project's suite peaks at ~170 MB: the catalog copy of every live space,
 * templates and WAL), and a full tmpfs kills Postgres mid-run. So tmpfs is
 * used only when it has TMPFS_MIN_FREE free; otherwise the temp dir on disk,
 * durability still off. PGSPACE_DATA_DIR picks the directory outright.
 */
import { accessSync, constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import { userRoot, userRoots } from './user-root.js';

/** Names a directory for embedded clusters, overriding the automatic choice. */
export const DATA_DIR_VAR = 'PGSPACE_DATA_DIR';
/** tmpfs is used when it has at least this much free: several times what a run here needs. */
export const TMPFS_MIN_FREE = 1024 ** 3;

const SHM = '/dev/shm';

/** Where clusters go, and one line saying why. */
export interface DataPlace {
  /** This user's directory for clusters (see userRoot). */
  root: string;
  /** For people: "tmpfs /dev/shm, 11.7 GB free" or "disk /tmp: /dev/shm has only 64 MB free". */
  why: string;
}

function size(bytes: number): string {
  return bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(1)} GB` : `${Math.round(bytes / 1024 ** 2)} MB`;
}

async function freeBytes(dir: string): Promise<number | undefined> {
  try {
    accessSync(dir, fsConstants.W_OK);
    const st = await fs.statfs(dir);
    return st.bavail * st.bsize;
  } catch {
    return undefined;
  }
}

/** Chooses the directory for a new cluster (see the module comment). */
export async function chooseDataPlace(env: NodeJS.ProcessEnv = process.env): Promise<DataPlace> {
  const set = env[DATA_DIR_VAR];
  if (set) return { root: await userRoot(set), why: `${set} (${DATA_DIR_VAR})` };
  const shmFree = await freeBytes(SHM);
  if (shmFree !== undefined && shmFree >= TMPFS_MIN_FREE) return { root: await userRoot(SHM), why: `tmpfs ${SHM}, ${size(shmFree)} free` };
  const tmp = os.tmpdir();
  const reason =
    shmFree === undefined
      ? `no writable ${SHM}`
      : `${SHM} has only ${size(shmFree)} free, under the ${size(TMPFS_MIN_FREE)} a run may need`;
  return { root: await userRoot(tmp), why: `disk ${tmp} (${reason}; set ${DATA_DIR_VAR} to choose)` };
}

/** Every directory this user's clusters may be in, for listing and reaping. */
export function clusterRoots(env: NodeJS.ProcessEnv = process.env): string[] {
  return userRoots([SHM, os.tmpdir(), ...(env[DATA_DIR_VAR] ? [env[DATA_DIR_VAR]] : [])]);
}

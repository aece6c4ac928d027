/**
 * The CPU limit a container runs under, from its cgroup files: cgroup v2 `cpu.max` (`<quota> <period>` or
 * `max <period>`) or cgroup v1 `cpu.cfs_quota_us` / `cpu.cfs_period_us` (quota `-1` = none). Parsing is pure
 * (`cpuLimitFromCgroup`); reading the files is separate (`readCgroupCpuFiles`).
 * @module
 */
import { readFileSync } from 'node:fs';

/** The cgroup files that bound CPU time, as read (undefined when absent). */
export interface CgroupCpuFiles {
  /** cgroup v2 `cpu.max`. */
  cpuMax?: string | undefined;
  /** cgroup v1 `cpu.cfs_quota_us`. */
  cfsQuotaUs?: string | undefined;
  /** cgroup v1 `cpu.cfs_period_us`. */
  cfsPeriodUs?: string | undefined;
}

function positive(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d+$/.test(text.trim())) return undefined;
  const n = Number(text.trim());
  return n > 0 ? n : undefined;
}

/**
 * The CPU limit in CPUs (quota / period, fractional), or undefined when there is none or the files say nothing
 * usable. cgroup v2 wins when both are given.
 * @example
 * cpuLimitFromCgroup({ cpuMax: '150000 100000\n' }); // 1.5
 * cpuLimitFromCgroup({ cfsQuotaUs: '-1', cfsPeriodUs: '100000' }); // undefined
 */
export function cpuLimitFromCgroup(files: CgroupCpuFiles): number | undefined {
  if (files.cpuMax !== undefined) {
    const [quota, period, extra] = files.cpuMax.trim().split(/\s+/);
    const q = positive(quota);
    const p = positive(period);
    return q !== undefined && p !== undefined && extra === undefined ? q / p : undefined;
  }
  const q = positive(files.cfsQuotaUs);
  const p = positive(files.cfsPeriodUs);
  return q !== undefined && p !== undefined ? q / p : undefined;
}

/**
 * How many processes to run for a CPU limit: the limit rounded down, at least 1, never more than the CPUs the
 * process may run on (`cpus`, e.g. `os.availableParallelism()`); no limit ⇒ `cpus`.
 * @example
 * processesForCpuLimit(2.5, 8); // 2
 * processesForCpuLimit(undefined, 4); // 4
 */
export function processesForCpuLimit(limit: number | undefined, cpus: number): number {
  const available = Math.max(1, Math.floor(cpus));
  if (limit === undefined) return available;
  return Math.min(available, Math.max(1, Math.floor(limit)));
}

/**
 * Reads this process's cgroup CPU files: v2 `cpu.max` of its own cgroup (from `/proc/self/cgroup`) or of the root
 * of the mount (a container's cgroup namespace), else v1 `cpu.cfs_*` under `cpu` or `cpu,cpuacct`. `root` is for tests.
 * @example
 * const limit = cpuLimitFromCgroup(readCgroupCpuFiles());
 */
export function readCgroupCpuFiles(root = '/sys/fs/cgroup', procSelfCgroup = '/proc/self/cgroup'): CgroupCpuFiles {
  const read = (path: string): string | undefined => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
  };
  const own = (read(procSelfCgroup) ?? '').split('\n');
  const v2Path = own.find((l) => l.startsWith('0::'))?.slice(3).trim();
  for (const dir of [v2Path && v2Path !== '/' ? `${root}${v2Path}` : undefined, root]) {
    if (dir === undefined) continue;
    const cpuMax = read(`${dir}/cpu.max`);
    if (cpuMax !== undefined) return { cpuMax };
  }
  const v1Path = own.map((l) => l.split(':')).find((f) => f.length >= 3 && f[1]!.split(',').includes('cpu'))?.slice(2).join(':').trim();
  for (const controller of ['cpu', 'cpu,cpuacct']) {
    for (const dir of [v1Path && v1Path !== '/' ? `${root}/${controller}${v1Path}` : undefined, `${root}/${controller}`]) {
      if (dir === undefined) continue;
      const cfsQuotaUs = read(`${dir}/cpu.cfs_quota_us`);
      if (cfsQuotaUs !== undefined) return { cfsQuotaUs, cfsPeriodUs: read(`${dir}/cpu.cfs_period_us`) };
    }
  }
  return {};
}

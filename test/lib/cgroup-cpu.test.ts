import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuLimitFromCgroup, processesForCpuLimit, readCgroupCpuFiles } from '../../src/lib/cgroup-cpu.js';

describe('cpuLimitFromCgroup', () => {
  test('cgroup v2 cpu.max: quota/period; max = no limit; malformed = no limit', () => {
    assert.equal(cpuLimitFromCgroup({ cpuMax: '200000 100000\n' }), 2);
    assert.equal(cpuLimitFromCgroup({ cpuMax: '150000 100000\n' }), 1.5);
    assert.equal(cpuLimitFromCgroup({ cpuMax: '50000 100000' }), 0.5);
    assert.equal(cpuLimitFromCgroup({ cpuMax: 'max 100000\n' }), undefined);
    assert.equal(cpuLimitFromCgroup({ cpuMax: '' }), undefined);
    assert.equal(cpuLimitFromCgroup({ cpuMax: '200000' }), undefined);
    assert.equal(cpuLimitFromCgroup({ cpuMax: '0 100000' }), undefined);
    assert.equal(cpuLimitFromCgroup({ cpuMax: '2e5 100000' }), undefined);
  });

  test('cgroup v1 cfs quota/period; -1 = no limit; v2 wins when both are given', () => {
    assert.equal(cpuLimitFromCgroup({ cfsQuotaUs: '400000\n', cfsPeriodUs: '100000\n' }), 4);
    assert.equal(cpuLimitFromCgroup({ cfsQuotaUs: '-1\n', cfsPeriodUs: '100000\n' }), undefined);
    assert.equal(cpuLimitFromCgroup({ cfsQuotaUs: '100000' }), undefined, 'no period');
    assert.equal(cpuLimitFromCgroup({ cpuMax: 'max 100000', cfsQuotaUs: '100000', cfsPeriodUs: '100000' }), undefined);
    assert.equal(cpuLimitFromCgroup({}), undefined);
  });
});

describe('processesForCpuLimit', () => {
  test('rounded down, at least 1, capped by the CPUs available; no limit = the CPUs', () => {
    assert.equal(processesForCpuLimit(2, 8), 2);
    assert.equal(processesForCpuLimit(2.9, 8), 2);
    assert.equal(processesForCpuLimit(0.5, 8), 1);
    assert.equal(processesForCpuLimit(16, 4), 4);
    assert.equal(processesForCpuLimit(undefined, 3), 3);
    assert.equal(processesForCpuLimit(undefined, 0), 1);
  });
});

describe('readCgroupCpuFiles', () => {
  function tree(files: Record<string, string>): { root: string; proc: string; done(): void } {
    const dir = mkdtempSync(join(tmpdir(), 'irsa-cgroup-'));
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(join(dir, path, '..'), { recursive: true });
      writeFileSync(join(dir, path), content);
    }
    return { root: join(dir, 'sys'), proc: join(dir, 'proc-self-cgroup'), done: () => rmSync(dir, { recursive: true, force: true }) };
  }

  test('v2: the own cgroup\'s cpu.max, else the mount root\'s (a cgroup namespace)', () => {
    const t = tree({ 'proc-self-cgroup': '0::/kubepods/pod1\n', 'sys/kubepods/pod1/cpu.max': '300000 100000\n', 'sys/cpu.max': 'max 100000\n' });
    try {
      assert.deepEqual(readCgroupCpuFiles(t.root, t.proc), { cpuMax: '300000 100000\n' });
    } finally {
      t.done();
    }
    const ns = tree({ 'proc-self-cgroup': '0::/\n', 'sys/cpu.max': '200000 100000\n' });
    try {
      assert.equal(cpuLimitFromCgroup(readCgroupCpuFiles(ns.root, ns.proc)), 2);
    } finally {
      ns.done();
    }
  });

  test('v1: cpu.cfs_quota_us and cpu.cfs_period_us under cpu or cpu,cpuacct; nothing = no limit', () => {
    const t = tree({ 'proc-self-cgroup': '2:cpu,cpuacct:/\n1:memory:/x\n', 'sys/cpu,cpuacct/cpu.cfs_quota_us': '200000\n', 'sys/cpu,cpuacct/cpu.cfs_period_us': '100000\n' });
    try {
      assert.equal(cpuLimitFromCgroup(readCgroupCpuFiles(t.root, t.proc)), 2);
    } finally {
      t.done();
    }
    const none = tree({ 'proc-self-cgroup': '' });
    try {
      assert.deepEqual(readCgroupCpuFiles(none.root, none.proc), {});
    } finally {
      none.done();
    }
  });
});

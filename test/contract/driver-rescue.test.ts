// Driver contract for rescue, unrescue, setAdminPassword and diagnostics (issue 12 parts 5 and
// 6), on every driver; then what only the process driver shows: the rescue command really runs
// with the original disk kept, the password file is 0600, the numbers come from /proc.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ComputeDriver, GuestSpec } from '../../src/drivers/driver.js';
import { FakeDriver } from '../../src/drivers/fake/fake.driver.js';
import { ProcessDriver } from '../../src/drivers/process/process.driver.js';

const tmp = mkdtempSync(join(tmpdir(), 'stratus-driver-rescue-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const spec = (over: Partial<GuestSpec> = {}): GuestSpec => ({
  id: randomUUID(),
  name: 'vm-rescue',
  vcpus: 2,
  ramMb: 64,
  diskGb: 1,
  imageId: 'img-1',
  ...over,
});
const NOT_FOUND = /could not be found on this hypervisor/;

async function until(what: string, fn: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(20);
  }
}

for (const make of [() => new FakeDriver(), () => new ProcessDriver({ dataDir: tmp, graceMs: 300 })]) {
  const driver: ComputeDriver = make();
  describe(`driver rescue contract: ${driver.name}`, { timeout: 30000 }, () => {
    after(async () => {
      for (const id of await driver.listGuests()) await driver.destroy(id);
    });

    test('rescue runs the guest (twice is once); unrescue brings it back; a missing guest rejects', async () => {
      const s = spec();
      await driver.spawn(s);
      await driver.rescue(s.id, { imageId: 'rescue-img' });
      await driver.rescue(s.id, { imageId: 'rescue-img' });
      assert.equal(await driver.power(s.id), 'running');
      await driver.unrescue(s.id);
      await driver.unrescue(s.id);
      assert.equal(await driver.power(s.id), 'running');
      await assert.rejects(driver.rescue(randomUUID(), { imageId: 'x' }), NOT_FOUND);
      await assert.rejects(driver.unrescue(randomUUID()), NOT_FOUND);
    });

    test('rescue of a stopped guest runs the rescue image; destroy of a rescued guest leaves nothing', async () => {
      const s = spec();
      await driver.spawn(s);
      await driver.powerOff(s.id);
      await driver.rescue(s.id, { imageId: 'rescue-img' });
      assert.equal(await driver.power(s.id), 'running');
      await driver.destroy(s.id);
      assert.equal(await driver.power(s.id), 'missing');
      assert.ok(!(await driver.listGuests()).includes(s.id));
    });

    test('setAdminPassword: supported; a missing guest rejects', async () => {
      const s = spec();
      await driver.spawn(s);
      assert.ok(driver.setAdminPassword);
      await driver.setAdminPassword(s.id, 'pw-1');
      await assert.rejects(driver.setAdminPassword(randomUUID(), 'x'), NOT_FOUND);
    });

    test('diagnostics: the 2.48 fields of a running guest; its state when stopped; a missing guest rejects', async () => {
      const s = spec();
      await driver.spawn(s);
      const d = await driver.diagnostics(s.id);
      assert.equal(d.state, 'running');
      assert.equal(d.driver, 'libvirt', "Nova's Diagnostics.driver enum (its fake says libvirt)");
      assert.equal(d.numCpus, 2);
      assert.equal(d.cpuDetails.length, 2);
      assert.equal(d.memoryDetails.maximum, 64);
      assert.equal(d.diskDetails.length, 1);
      assert.equal(d.configDrive, false);
      await driver.powerOff(s.id);
      assert.equal((await driver.diagnostics(s.id)).state, 'shutdown');
      await assert.rejects(driver.diagnostics(randomUUID()), NOT_FOUND);
    });
  });
}

describe('process driver: rescue, password and diagnostics on real processes', { timeout: 30000 }, () => {
  const driver = new ProcessDriver({ dataDir: tmp, graceMs: 300 });
  after(async () => {
    for (const id of await driver.listGuests()) await driver.destroy(id);
  });
  const pidOf = (id: string) => Number(readFileSync(join(driver.instanceDir(id), 'pid'), 'utf8'));
  const envOf = (pid: number) => readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');

  test('the rescue command runs with a fresh rescue disk and the original disk kept; unrescue restores the original', async () => {
    const s = spec({ command: 'echo original-boot; exec sleep 300' });
    await driver.spawn(s);
    const dir = driver.instanceDir(s.id);
    writeFileSync(join(dir, 'disk'), 'precious data'); // what the user wrote to the disk
    const before = pidOf(s.id);
    await driver.rescue(s.id, { imageId: 'rescue-img', command: 'echo rescue-boot; exec sleep 300' });
    const rescuePid = pidOf(s.id);
    assert.notEqual(rescuePid, before, 'the guest restarted');
    const env = envOf(rescuePid);
    assert.ok(env.includes(`STRATUS_DISK=${join(dir, 'disk.rescue')}`));
    assert.ok(env.includes(`STRATUS_ORIGINAL_DISK=${join(dir, 'disk')}`));
    assert.ok(env.includes('STRATUS_RESCUE_IMAGE=rescue-img'));
    await until('the rescue command writes to the console', async () =>
      (await driver.consoleOutput(s.id)).includes('rescue-boot'),
    );
    assert.equal(readFileSync(join(dir, 'disk'), 'utf8'), 'precious data', 'the original disk is kept');
    assert.deepEqual(await driver.readRescue(s.id), {
      imageId: 'rescue-img',
      command: 'echo rescue-boot; exec sleep 300',
    });

    // A reboot (or an agent restart) keeps a rescued guest rescued.
    await driver.reboot(s.id, true);
    assert.ok(envOf(pidOf(s.id)).includes('STRATUS_RESCUE_IMAGE=rescue-img'));

    await driver.unrescue(s.id);
    const back = pidOf(s.id);
    assert.ok(envOf(back).includes(`STRATUS_DISK=${join(dir, 'disk')}`));
    assert.ok(!envOf(back).some((e) => e.startsWith('STRATUS_ORIGINAL_DISK=')));
    assert.equal(existsSync(join(dir, 'disk.rescue')), false);
    assert.equal(await driver.readRescue(s.id), null);
    assert.equal(readFileSync(join(dir, 'disk'), 'utf8'), 'precious data');
    await driver.destroy(s.id);
    assert.equal(existsSync(dir), false);
  });

  test('destroy of a rescued guest kills the rescue process and removes the original disk too', async () => {
    const s = spec({ command: 'exec sleep 300' });
    await driver.spawn(s);
    await driver.rescue(s.id, { imageId: 'r', command: 'exec sleep 301' });
    const pid = pidOf(s.id);
    await driver.destroy(s.id);
    await until('the rescue process is gone', () => {
      try {
        process.kill(pid, 0);
        return readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2] === 'Z';
      } catch {
        return true;
      }
    });
    assert.equal(existsSync(driver.instanceDir(s.id)), false);
  });

  test('setAdminPassword writes admin_password with 0600 permissions, replacing the old one', async () => {
    const s = spec();
    await driver.spawn(s);
    await driver.setAdminPassword(s.id, 'first');
    await driver.setAdminPassword(s.id, 's3cret');
    const path = join(driver.instanceDir(s.id), 'admin_password');
    assert.equal(readFileSync(path, 'utf8'), 's3cret');
    assert.equal(statSync(path).mode & 0o777, 0o600);
  });

  test('diagnostics: CPU time, resident memory and uptime of the guest process, from /proc', async () => {
    // A guest that burns some CPU, so its CPU time is above zero.
    const s = spec({ command: 'i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; exec sleep 300' });
    await driver.spawn(s);
    await until(
      'the guest used CPU',
      async () => ((await driver.diagnostics(s.id)).cpuDetails[0].time ?? 0) > 0,
      15000,
    );
    const d = await driver.diagnostics(s.id);
    assert.equal(d.state, 'running');
    assert.equal(d.hypervisor, 'process');
    assert.ok((d.memoryDetails.used ?? 0) > 0, 'VmRSS');
    assert.equal(typeof d.uptime, 'number');
    assert.ok(d.uptime! >= 0 && d.uptime! < 600);
    assert.equal(d.cpuDetails[1].time, 0, 'one process: its time is on the first vCPU');
    assert.equal(typeof d.diskDetails[0].readRequests, 'number');
  });
});

// Driver contract: the same ComputeDriver behaviour from every driver (fake, process), then what
// only the process driver can show (real processes, process groups, sparse disks, restarts).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ComputeDriver, GuestSpec } from '../../src/drivers/driver.js';
import { FakeDriver } from '../../src/drivers/fake/fake.driver.js';
import { ProcessDriver } from '../../src/drivers/process/process.driver.js';
import { setTimeout as sleep } from 'node:timers/promises';

const GRACE_MS = 500;
const tmp = mkdtempSync(join(tmpdir(), 'stratus-driver-'));

// Safety net: even if a test or an `after` hook fails, no guest outlives this test process.
process.on('exit', () => {
  const root = join(tmp, 'instances');
  for (const id of existsSync(root) ? readdirSync(root) : []) {
    try {
      const pid = Number(readFileSync(join(root, id, 'pid'), 'utf8'));
      if (readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`STRATUS_INSTANCE_ID=${id}`))
        process.kill(-pid, 'SIGKILL');
    } catch {
      /* no pid file, or already gone */
    }
  }
  rmSync(tmp, { recursive: true, force: true });
});
after(() => rmSync(tmp, { recursive: true, force: true }));

const spec = (over: Partial<GuestSpec> = {}): GuestSpec => ({
  id: randomUUID(),
  name: 'vm-' + Math.random().toString(36).slice(2, 8),
  vcpus: 1,
  ramMb: 64,
  diskGb: 1,
  imageId: 'img-1',
  ...over,
});

async function until(what: string, fn: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(20);
  }
}

const NOT_FOUND = /could not be found on this hypervisor/;

for (const make of [() => new FakeDriver(), () => new ProcessDriver({ dataDir: tmp, graceMs: GRACE_MS })]) {
  const driver: ComputeDriver = make();
  describe(`driver contract: ${driver.name}`, { timeout: 20000 }, () => {
    after(async () => {
      for (const id of await driver.listGuests()) await driver.destroy(id);
    });
    const boot = async (over: Partial<GuestSpec> = {}) => {
      const s = spec(over);
      await driver.spawn(s);
      return s.id;
    };

    test('spawn: the guest is running and listed', async () => {
      const id = await boot();
      assert.equal(await driver.power(id), 'running');
      assert.ok((await driver.listGuests()).includes(id));
    });

    test('spawn twice is a no-op', async () => {
      const s = spec();
      await driver.spawn(s);
      await driver.spawn(s);
      assert.equal(await driver.power(s.id), 'running');
      assert.equal((await driver.listGuests()).filter((g) => g === s.id).length, 1);
    });

    test('powerOff → shutdown (twice is fine), powerOn → running (twice is fine), still listed', async () => {
      const id = await boot();
      await driver.powerOff(id);
      assert.equal(await driver.power(id), 'shutdown');
      await driver.powerOff(id);
      assert.equal(await driver.power(id), 'shutdown');
      assert.ok((await driver.listGuests()).includes(id));
      await driver.powerOn(id);
      assert.equal(await driver.power(id), 'running');
      await driver.powerOn(id);
      assert.equal(await driver.power(id), 'running');
    });

    test('pause → paused, unpause → running', async () => {
      const id = await boot();
      await driver.pause(id);
      assert.equal(await driver.power(id), 'paused');
      await driver.unpause(id);
      assert.equal(await driver.power(id), 'running');
    });

    test('suspend → suspended, resume → running', async () => {
      const id = await boot();
      await driver.suspend(id);
      assert.equal(await driver.power(id), 'suspended');
      await driver.resume(id);
      assert.equal(await driver.power(id), 'running');
    });

    test('reboot (soft and hard) ends running, also from shutdown', async () => {
      const id = await boot();
      await driver.reboot(id, false);
      assert.equal(await driver.power(id), 'running');
      await driver.reboot(id, true);
      assert.equal(await driver.power(id), 'running');
      await driver.powerOff(id);
      await driver.reboot(id, true);
      assert.equal(await driver.power(id), 'running');
    });

    test('destroy → missing and not listed; destroy twice succeeds', async () => {
      const id = await boot();
      await driver.destroy(id);
      assert.equal(await driver.power(id), 'missing');
      assert.ok(!(await driver.listGuests()).includes(id));
      await driver.destroy(id);
      assert.equal(await driver.power(id), 'missing');
    });

    test('destroy of a paused guest succeeds', async () => {
      const id = await boot();
      await driver.pause(id);
      await driver.destroy(id);
      assert.equal(await driver.power(id), 'missing');
    });

    test('destroy of a never-spawned id succeeds; its power is missing', async () => {
      const id = randomUUID();
      await driver.destroy(id);
      assert.equal(await driver.power(id), 'missing');
      assert.ok(!(await driver.listGuests()).includes(id));
    });

    test('power operations and console on a missing guest reject', async () => {
      const id = randomUUID();
      for (const [op, run] of [
        ['powerOff', () => driver.powerOff(id)],
        ['powerOn', () => driver.powerOn(id)],
        ['reboot', () => driver.reboot(id, false)],
        ['pause', () => driver.pause(id)],
        ['unpause', () => driver.unpause(id)],
        ['suspend', () => driver.suspend(id)],
        ['resume', () => driver.resume(id)],
        ['consoleOutput', () => driver.consoleOutput(id)],
        ['injectedFiles', () => driver.injectedFiles(id)],
      ] as const) {
        await assert.rejects(run(), NOT_FOUND, op);
      }
    });

    test('personality: the guest holds the injected files (none when none were given)', async () => {
      const files = [
        { path: '/etc/motd', contents: Buffer.from('hello\n').toString('base64') },
        { path: '/root/.ssh/authorized_keys', contents: Buffer.from([0, 1, 2, 255]).toString('base64') },
      ];
      const id = await boot({ personality: files });
      assert.deepEqual(await driver.injectedFiles(id), files);
      assert.deepEqual(await driver.injectedFiles(await boot()), []);
    });

    test('interfaces: attach (idempotent) and detach; a missing guest rejects attach, accepts detach', async () => {
      const id = await boot();
      const nic = { portId: randomUUID(), networkId: 'net-1', macAddress: 'fa:16:3e:00:00:09', fixedIps: ['10.0.0.9'] };
      assert.deepEqual(await driver.interfaces(id), []);
      await driver.attachInterface(id, nic);
      await driver.attachInterface(id, nic);
      assert.deepEqual(await driver.interfaces(id), [nic]);
      await driver.detachInterface(id, nic.portId);
      await driver.detachInterface(id, nic.portId);
      assert.deepEqual(await driver.interfaces(id), []);
      const missing = randomUUID();
      await assert.rejects(driver.attachInterface(missing, nic), NOT_FOUND);
      await assert.rejects(driver.interfaces(missing), NOT_FOUND);
      await driver.detachInterface(missing, nic.portId);
    });

    test('volumes: attach (idempotent) and detach; a missing guest rejects attach, accepts detach', async () => {
      const id = await boot();
      const vol = { volumeId: randomUUID(), devicePath: join(tmp, 'volumes', 'v'), device: null };
      assert.deepEqual(await driver.volumes(id), []);
      await driver.attachVolume(id, vol);
      await driver.attachVolume(id, vol);
      assert.deepEqual(
        (await driver.volumes(id)).map((v) => [v.volumeId, v.devicePath]),
        [[vol.volumeId, vol.devicePath]],
      );
      await driver.detachVolume(id, vol.volumeId);
      await driver.detachVolume(id, vol.volumeId);
      assert.deepEqual(await driver.volumes(id), []);
      const missing = randomUUID();
      await assert.rejects(driver.attachVolume(missing, vol), NOT_FOUND);
      await driver.detachVolume(missing, vol.volumeId);
    });

    test('consoleOutput returns text', async () => {
      const id = await boot();
      assert.equal(typeof (await driver.consoleOutput(id)), 'string');
    });
  });
}

describe('process driver only', { timeout: 20000 }, () => {
  const driver = new ProcessDriver({ dataDir: tmp, graceMs: GRACE_MS });
  after(async () => {
    for (const id of await driver.listGuests()) await driver.destroy(id);
  });
  const dir = (id: string) => join(tmp, 'instances', id);
  const pidOf = (id: string) => Number(readFileSync(join(dir(id), 'pid'), 'utf8'));
  const procStat = (pid: number) => {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2).split(' ');
  };
  const gone = (pid: number) => {
    try {
      process.kill(pid, 0);
      return procStat(pid)[0] === 'Z';
    } catch {
      return true;
    }
  };
  const boot = async (over: Partial<GuestSpec> = {}) => {
    const s = spec(over);
    await driver.spawn(s);
    return s.id;
  };

  test('the guest is a real process carrying STRATUS_INSTANCE_ID, leading its own process group', async () => {
    const s = spec({ name: 'web-1' });
    await driver.spawn(s);
    const pid = pidOf(s.id);
    process.kill(pid, 0);
    const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    assert.ok(env.includes(`STRATUS_INSTANCE_ID=${s.id}`));
    assert.ok(env.includes('STRATUS_INSTANCE_NAME=web-1'));
    assert.equal(Number(procStat(pid)[2]), pid, 'process group id = pid');
    assert.notEqual(Number(procStat(pid)[2]), Number(procStat(process.pid)[2]), "not in the agent's group");
    assert.deepEqual(JSON.parse(readFileSync(join(dir(s.id), 'spec.json'), 'utf8')), s);
  });

  test('spawn twice keeps the same process', async () => {
    const s = spec();
    await driver.spawn(s);
    const pid = pidOf(s.id);
    await Promise.all([driver.spawn(s), driver.spawn(s)]);
    assert.equal(pidOf(s.id), pid);
    assert.ok(!gone(pid));
  });

  test('personality files are written under <instance dir>/personality/<path>, never outside it', async () => {
    const id = await boot({
      personality: [
        { path: '/etc/motd', contents: Buffer.from('welcome').toString('base64') },
        { path: '/../../escape', contents: Buffer.from('x').toString('base64') },
      ],
    });
    assert.equal(readFileSync(join(dir(id), 'personality', 'etc', 'motd'), 'utf8'), 'welcome');
    assert.equal(readFileSync(join(dir(id), 'personality', 'escape'), 'utf8'), 'x');
    assert.equal(existsSync(join(tmp, 'escape')), false);
    const saved = JSON.parse(readFileSync(join(dir(id), 'spec.json'), 'utf8')) as GuestSpec;
    assert.equal(saved.personality?.length, 2);
  });

  test('the disk is a sparse file of diskGb GiB', async () => {
    const id = await boot({ diskGb: 1 });
    const st = statSync(join(dir(id), 'disk'));
    assert.equal(st.size, 1024 ** 3);
    assert.ok(st.blocks * 512 < 1024 * 1024, `allocated ${st.blocks * 512} bytes`);
  });

  test('console: the idle guest prints a boot banner with its id', async () => {
    const id = await boot();
    await until('boot banner', async () => (await driver.consoleOutput(id)).includes(`instance ${id}`));
    await until('two lines', async () => (await driver.consoleOutput(id)).split('\n').filter(Boolean).length >= 2);
  });

  test('pause stops the process group (state T), unpause continues it', async () => {
    const id = await boot();
    const pid = pidOf(id);
    await driver.pause(id);
    assert.equal(procStat(pid)[0], 'T');
    await driver.unpause(id);
    await until('continued', () => procStat(pid)[0] !== 'T', 2000);
    await driver.suspend(id);
    assert.equal(procStat(pid)[0], 'T');
    assert.equal(await driver.power(id), 'suspended');
    await driver.resume(id);
    await until('continued', () => procStat(pid)[0] !== 'T', 2000);
  });

  test('powerOff is graceful (even when paused), keeps the directory, drops the pid; powerOn reruns the spec command', async () => {
    const id = await boot();
    await until('boot banner', async () => (await driver.consoleOutput(id)).includes('booting'));
    const pid = pidOf(id);
    await driver.pause(id);
    await driver.powerOff(id);
    assert.ok(gone(pid));
    assert.ok(!existsSync(join(dir(id), 'pid')));
    assert.ok(existsSync(join(dir(id), 'disk')) && existsSync(join(dir(id), 'spec.json')));
    assert.match(await driver.consoleOutput(id), /received SIGTERM/);
    await driver.powerOn(id);
    assert.notEqual(pidOf(id), pid);
    await until('second boot', async () => (await driver.consoleOutput(id)).split('booting').length === 3);
  });

  test('destroy: the process is gone and the directory removed', async () => {
    const id = await boot({ command: 'sleep 30 & sleep 30; wait' });
    const pid = pidOf(id);
    await driver.destroy(id);
    await until(
      'pid reaped',
      () => {
        try {
          process.kill(pid, 0);
          return false;
        } catch {
          return true;
        }
      },
      2000,
    );
    assert.ok(!existsSync(dir(id)));
  });

  test('a guest that ignores SIGTERM is SIGKILLed after the grace period', async () => {
    const id = await boot({ command: `trap '' TERM; echo ready; while true; do sleep 1; done` });
    await until('trap set', async () => (await driver.consoleOutput(id)).includes('ready'));
    const pid = pidOf(id);
    const t0 = Date.now();
    await driver.destroy(id);
    assert.ok(Date.now() - t0 >= GRACE_MS - 50, 'waited for the grace period before SIGKILL');
    assert.ok(gone(pid));
    assert.ok(!existsSync(dir(id)));
  });

  test('children that outlive the group leader are stopped too', async () => {
    // A background child (same STRATUS_INSTANCE_ID) leaves the group with setsid: group signals miss it.
    const id = await boot({ command: `setsid sh -c 'echo child $$ > child.pid; exec sleep 30' & sleep 30` });
    await until(
      'child started',
      () => existsSync(join(dir(id), 'child.pid')) && readFileSync(join(dir(id), 'child.pid'), 'utf8').endsWith('\n'),
    );
    const child = Number(readFileSync(join(dir(id), 'child.pid'), 'utf8').split(' ')[1]);
    assert.ok(!gone(child));
    await driver.powerOff(id);
    await until('stray killed', () => gone(child), 2000);
    await driver.destroy(id);
  });

  test('a second driver on the same dataDir sees, stops and destroys guests the first one started', async () => {
    const id = await boot();
    const pid = pidOf(id);
    const other = new ProcessDriver({ dataDir: tmp, graceMs: GRACE_MS });
    assert.ok((await other.listGuests()).includes(id));
    assert.equal(await other.power(id), 'running');
    await other.pause(id);
    assert.equal(await driver.power(id), 'paused');
    await other.unpause(id);
    await other.destroy(id);
    assert.ok(gone(pid));
    assert.equal(await driver.power(id), 'missing');
  });

  test('a guest that dies on its own reports shutdown; spawn again starts it', async () => {
    const s = spec({ command: 'echo bye' });
    await driver.spawn(s);
    await until('shutdown', async () => (await driver.power(s.id)) === 'shutdown');
    assert.match(await driver.consoleOutput(s.id), /bye/);
    const s2 = { ...s, command: 'echo hello again; exec sleep 30' };
    await driver.spawn(s2);
    assert.equal(await driver.power(s.id), 'running');
    await until('second run', async () => (await driver.consoleOutput(s.id)).includes('hello again'));
  });

  test('a stale pid file (pid now someone else) reads as shutdown', async () => {
    const id = await boot();
    await driver.powerOff(id);
    // Our own pid: alive, but not this guest (different start time and environment).
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(dir(id), 'pid'), `${process.pid}\n`);
    assert.equal(await driver.power(id), 'shutdown');
    await driver.destroy(id); // and must not signal that process
    assert.equal(await driver.power(id), 'missing');
  });

  test('the guest sees its hot-plugged interfaces in interfaces.json of its directory', async () => {
    const id = await boot();
    const nic = { portId: randomUUID(), networkId: 'net-1', macAddress: 'fa:16:3e:00:00:0a', fixedIps: ['10.0.0.10'] };
    await driver.attachInterface(id, nic);
    assert.deepEqual(JSON.parse(readFileSync(join(dir(id), 'interfaces.json'), 'utf8')), [nic]);
    await driver.detachInterface(id, nic.portId);
    assert.deepEqual(JSON.parse(readFileSync(join(dir(id), 'interfaces.json'), 'utf8')), []);
  });

  test('an attached volume is a link to its file in volumes/ of the directory; detach and destroy remove it', async () => {
    const { mkdirSync, writeFileSync, readlinkSync } = await import('node:fs');
    mkdirSync(join(tmp, 'volumes'), { recursive: true });
    const file = join(tmp, 'volumes', randomUUID());
    writeFileSync(file, 'data');
    const id = await boot();
    const volumeId = randomUUID();
    await driver.attachVolume(id, { volumeId, devicePath: file, device: '/dev/vdb' });
    assert.equal(readlinkSync(join(dir(id), 'volumes', volumeId)), file);
    assert.equal(readFileSync(join(dir(id), 'volumes', volumeId), 'utf8'), 'data');
    await driver.detachVolume(id, volumeId);
    assert.equal(existsSync(join(dir(id), 'volumes', volumeId)), false);
    await driver.attachVolume(id, { volumeId, devicePath: file, device: '/dev/vdb' });
    await driver.destroy(id);
    assert.equal(existsSync(join(dir(id), 'volumes', volumeId)), false);
    assert.equal(readFileSync(file, 'utf8'), 'data', 'the volume itself stays');
  });

  test('ids that are not directory names name no guest', async () => {
    assert.equal(await driver.power('../etc'), 'missing');
    await driver.destroy('../etc');
    await assert.rejects(driver.powerOff('a/b'), NOT_FOUND);
  });
});

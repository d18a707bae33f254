// startSimulator: its options, its certificates folder, loopback only, and close().

import assert from 'node:assert/strict';
import fs from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { createRpClient, RpNetworkError } from '../../server/rp-client.js';
import { startSimulator } from '../index.js';
import { authBody, onCleanup, rejectsWith, sharedCertificates, tempDir, UUID } from './support.js';

/** A port that was free a moment ago. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test('without certDir: a private temp folder with the certificates, removed by close()', async () => {
  const sim = await startSimulator();
  onCleanup(() => sim.close());
  const { dir, files } = sim.certificates;
  assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
  for (const file of Object.values(files)) {
    assert.ok(path.isAbsolute(file) && file.startsWith(dir + path.sep), file);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600, file);
  }
  assert.deepEqual(Object.keys(files).sort(), ['ca', 'clientCert', 'clientKey', 'clientPfx']);
  assert.equal(fs.readFileSync(files.ca, 'utf8'), sim.certificates.ca);
  assert.ok(fs.readFileSync(files.clientPfx).equals(sim.certificates.clientPfx));
  assert.deepEqual(sim.rpClientOptions, {
    url: sim.url,
    pfx: sim.certificates.clientPfx,
    passphrase: 'qwerty123',
    ca: sim.certificates.ca,
  });
  assert.match(sim.url, /^https:\/\/127\.0\.0\.1:\d+\/rp\/v6\.0\/$/);

  const rp = createRpClient(sim.rpClientOptions);
  onCleanup(() => rp.close());
  assert.match((await rp.auth(authBody())).orderRef, UUID);

  await sim.close();
  assert.equal(fs.existsSync(dir), false, 'the temp folder is gone');
  await sim.close(); // twice is fine
  await rejectsWith(rp.auth(authBody()), RpNetworkError, { endpoint: 'auth' });
  await assert.rejects(fetch(new URL('orders', sim.appUrl)), 'the app API is closed too');
});

test('with certDir: the set there is reused, and close() leaves it', async () => {
  const dir = path.join(tempDir(), 'bankid-sim');
  const first = await startSimulator({ certDir: dir });
  await first.close();
  assert.ok(fs.existsSync(path.join(dir, 'ca.pem')));
  const second = await startSimulator({ certDir: dir });
  onCleanup(() => second.close());
  assert.equal(second.certificates.ca, first.certificates.ca, 'a valid set is reused');
  assert.equal(second.certificates.dir, dir);
});

test('host: 127.0.0.1, ::1 or localhost; anything else is a TypeError (loopback only)', async () => {
  const certDir = sharedCertificates().dir;
  for (const host of ['0.0.0.0', '::', '192.168.1.10', 'example.com', '127.0.0.2', '']) {
    await assert.rejects(startSimulator({ certDir, host }), TypeError, host);
  }
  const v6 = await startSimulator({ certDir, host: '::1' });
  onCleanup(() => v6.close());
  assert.match(v6.url, /^https:\/\/\[::1\]:\d+\/rp\/v6\.0\/$/);
  assert.match(v6.appUrl, /^http:\/\/\[::1\]:\d+\//);
  const rp = createRpClient(v6.rpClientOptions);
  onCleanup(() => rp.close());
  assert.match((await rp.auth(authBody())).orderRef, UUID);
  assert.equal((await fetch(new URL('orders', v6.appUrl))).status, 200);

  const named = await startSimulator({ certDir, host: 'localhost' });
  onCleanup(() => named.close());
  assert.match(named.url, /^https:\/\/localhost:\d+\//);
  const rpNamed = createRpClient(named.rpClientOptions);
  onCleanup(() => rpNamed.close());
  assert.match((await rpNamed.auth(authBody())).orderRef, UUID);
});

test('port and appPort: used as given; bad numbers and timeouts are TypeErrors', async () => {
  const certDir = sharedCertificates().dir;
  const port = await freePort();
  const appPort = await freePort();
  const sim = await startSimulator({ certDir, port, appPort });
  onCleanup(() => sim.close());
  assert.equal(new URL(sim.url).port, String(port));
  assert.equal(new URL(sim.appUrl).port, String(appPort));

  for (const options of [
    { port: -1 },
    { port: 65536 },
    { port: 1.5 },
    { appPort: -1 },
    { pickupTimeoutMs: 0 },
    { signTimeoutMs: -5 },
    { now: 5 },
    { certDir: '' },
  ]) {
    await assert.rejects(startSimulator({ certDir, ...options } as never), TypeError, JSON.stringify(options));
  }
});

test('a port in use: startSimulator rejects with EADDRINUSE and removes the temp folder it made', async () => {
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  onCleanup(() => new Promise((resolve) => blocker.close(resolve)));
  const taken = (blocker.address() as AddressInfo).port;
  // A temp folder of its own, so that other simulators on this machine do not count.
  const tmp = tempDir();
  const saved = process.env['TMPDIR'];
  process.env['TMPDIR'] = tmp;
  onCleanup(() => (saved === undefined ? delete process.env['TMPDIR'] : (process.env['TMPDIR'] = saved)));
  assert.equal(os.tmpdir(), tmp);

  await assert.rejects(startSimulator({ appPort: taken }), { code: 'EADDRINUSE' });
  await assert.rejects(startSimulator({ port: taken }), { code: 'EADDRINUSE' });
  assert.deepEqual(fs.readdirSync(tmp), []);
  const started = await startSimulator();
  onCleanup(() => started.close());
  assert.equal(path.dirname(started.certificates.dir), tmp, 'the check above would have seen a folder');
});

test("the README's example: open by autostart, identify, collect complete; or scan the QR code shown now", async () => {
  const sim = await startSimulator({ certDir: sharedCertificates().dir });
  onCleanup(() => sim.close());
  const rp = createRpClient(sim.rpClientOptions);
  onCleanup(() => rp.close());

  const order = await rp.auth({ endUserIp: '192.0.2.10' });
  sim.app.open({ autoStartToken: order.autoStartToken });
  sim.app.identify();
  const result = await rp.collect(order.orderRef);
  assert.equal(result.status, 'complete');

  const { orderRef } = await rp.auth({ endUserIp: '192.0.2.10' });
  const shown = sim.orders().find((o) => o.orderRef === orderRef)?.qr;
  assert.ok(shown);
  assert.deepEqual(sim.app.scan(shown), { ok: true, orderRef, hintCode: 'userSign', replaced: [] });
});

// The throwaway PKI: made once, private, reused while valid, made again when broken.

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { createRpClient } from '../../server/rp-client.js';
import { CLIENT_PFX_PASSPHRASE, ensureCertificates } from '../certificates.js';
import { authBody, onCleanup, setup, tempDir, UUID } from './support.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

test('ensureCertificates: makes a consistent set once, files 0600 in a 0700 folder, reuses it, remakes a broken one', () => {
  const dir = path.join(tempDir(), 'certs');
  const first = ensureCertificates(dir);
  assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
  assert.deepEqual(fs.readdirSync(dir).sort(), [
    'ca.pem',
    'client.key',
    'client.p12',
    'client.pem',
    'server.key',
    'server.pem',
  ]);
  for (const file of fs.readdirSync(dir)) {
    assert.equal(fs.statSync(path.join(dir, file)).mode & 0o777, 0o600, file);
  }
  assert.deepEqual(first.files, {
    ca: path.join(dir, 'ca.pem'),
    serverKey: path.join(dir, 'server.key'),
    serverCert: path.join(dir, 'server.pem'),
    clientKey: path.join(dir, 'client.key'),
    clientCert: path.join(dir, 'client.pem'),
    clientPfx: path.join(dir, 'client.p12'),
  });
  assert.equal(first.passphrase, 'qwerty123');
  assert.equal(first.passphrase, CLIENT_PFX_PASSPHRASE);

  const again = ensureCertificates(dir);
  assert.deepEqual(again, first, 'a valid set is reused as is');

  fs.writeFileSync(path.join(dir, 'server.pem'), 'garbage');
  const remade = ensureCertificates(dir);
  assert.notEqual(remade.ca, first.ca, 'a broken set is made again as a whole');
  assert.ok(!remade.clientPfx.equals(first.clientPfx));

  const server = execFileSync('openssl', ['x509', '-noout', '-text'], { input: remade.serverCert }).toString();
  assert.match(server, /DNS:localhost/);
  assert.match(server, /IP Address:127\.0\.0\.1/);
  assert.match(server, /IP Address:0:0:0:0:0:0:0:1/);
  assert.match(server, /TLS Web Server Authentication/);
  const client = execFileSync('openssl', ['x509', '-noout', '-text'], { input: remade.clientCert }).toString();
  assert.match(client, /CN ?= ?Simulated RP/);
  assert.match(client, /TLS Web Client Authentication/);
  const ca = execFileSync('openssl', ['x509', '-noout', '-text'], { input: remade.ca }).toString();
  assert.match(ca, /CA:TRUE/);
});

test('ensureCertificates: the CA key and temp files are gone; a missing or wrong client.p12 remakes the set', () => {
  const dir = tempDir();
  const first = ensureCertificates(dir);
  assert.ok(!fs.readdirSync(dir).some((file) => file.includes('ca.key') || file.startsWith('.tmp-')));

  fs.rmSync(first.files.clientPfx);
  const second = ensureCertificates(dir);
  assert.notEqual(second.ca, first.ca);

  fs.writeFileSync(second.files.clientPfx, 'not a PKCS#12');
  const third = ensureCertificates(dir);
  assert.notEqual(third.ca, second.ca);
});

test('client.p12 holds the client certificate and key under the passphrase qwerty123', () => {
  const set = ensureCertificates(tempDir());
  const pem = execFileSync(
    'openssl',
    ['pkcs12', '-in', set.files.clientPfx, '-passin', `pass:${set.passphrase}`, '-nodes'],
    {
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  ).toString();
  const certInP12 = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)?.[0];
  assert.equal(certInP12?.replace(/\s/g, ''), set.clientCert.trim().replace(/\s/g, ''));
  assert.match(pem, /BEGIN PRIVATE KEY/);
  assert.throws(() =>
    execFileSync('openssl', ['pkcs12', '-in', set.files.clientPfx, '-passin', 'pass:wrong', '-nodes'], {
      stdio: 'ignore',
    }),
  );
});

test('Node loads client.p12: createRpClient with pfx + passphrase logs in; a wrong passphrase is refused without echoing it', async () => {
  const { sim } = await setup();
  assert.ok(Buffer.isBuffer(sim.rpClientOptions.pfx));
  assert.equal(sim.rpClientOptions.passphrase, 'qwerty123');
  const rp = createRpClient({
    url: sim.url,
    ca: sim.certificates.ca,
    pfx: fs.readFileSync(sim.certificates.files.clientPfx),
    passphrase: 'qwerty123',
  });
  onCleanup(() => rp.close());
  assert.match((await rp.auth(authBody())).orderRef, UUID);

  assert.throws(
    () => createRpClient({ ...sim.rpClientOptions, passphrase: 'not-the-passphrase' }),
    (error: unknown) => error instanceof TypeError && !error.message.includes('not-the-passphrase'),
  );
});

test('ensureCertificates: says how to install openssl when it is missing', () => {
  const module = path.join(ROOT, 'simulator', 'certificates.ts');
  const script = `import(${JSON.stringify(module)}).then((m) => m.ensureCertificates(${JSON.stringify(path.join(tempDir(), 'certs'))}))`;
  const result = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], {
    cwd: ROOT,
    env: { PATH: '/nonexistent' },
    encoding: 'utf8',
  });
  assert.notEqual(result.status, 0);
  assert.match(result.stderr, /install it: apt-get install openssl/);
});

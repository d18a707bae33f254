// The bankid-login-simulator command: flags, what it prints and writes, a login driven through
// what it printed, and a clean stop.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { createRpClient, RpNetworkError } from '../../server/rp-client.js';
import { runSimulatorCommand, USAGE, type CommandRun } from '../command.js';
import { authBody, onCleanup, rejectsWith, tempDir } from './support.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const COMMAND = path.join(ROOT, 'simulator', 'command.ts');

function output() {
  const out = { stdout: '', stderr: '' };
  const io = {
    stdout: { write: (text: string) => (out.stdout += text) },
    stderr: { write: (text: string) => (out.stderr += text) },
  };
  return { out, io };
}

async function run(
  argv: string[],
  cwd = tempDir(),
): Promise<{ out: { stdout: string; stderr: string }; running: CommandRun }> {
  const { out, io } = output();
  const running = await runSimulatorCommand(argv, { ...io, cwd });
  onCleanup(() => running.stop());
  return { out, running };
}

/** The value printed after `label:` on its own line. */
function printed(stdout: string, label: string): string {
  const line = stdout.split('\n').find((l) => l.startsWith(`${label}:`));
  assert.ok(line, `a line starting with "${label}:"`);
  return line.slice(label.length + 1).trim();
}

test('prints the URLs and files one per line, writes simulator.json (0600), and a login works through them', async () => {
  const cwd = tempDir();
  const { out, running } = await run(
    ['--port', '0', '--app-port', '0', '--cert-dir', 'certs', '--pickup-timeout-ms', '45000'],
    cwd,
  );
  const dir = path.join(cwd, 'certs');
  const lines = out.stdout.trimEnd().split('\n');
  assert.equal(lines.at(-1), 'Ctrl-C stops it.');
  const rpUrl = printed(out.stdout, 'RP API');
  const appUrl = printed(out.stdout, 'App API');
  assert.match(rpUrl, /^https:\/\/127\.0\.0\.1:\d+\/rp\/v6\.0\/$/);
  assert.match(appUrl, /^http:\/\/127\.0\.0\.1:\d+\/[A-Za-z0-9_-]{43}\/$/);
  assert.equal(printed(out.stdout, 'CA to pin'), path.join(dir, 'ca.pem'));
  assert.equal(printed(out.stdout, 'Client PKCS#12'), `${path.join(dir, 'client.p12')} (passphrase qwerty123)`);
  assert.equal(printed(out.stdout, 'Client PEM'), `${path.join(dir, 'client.pem')} + ${path.join(dir, 'client.key')}`);
  assert.equal(out.stderr, '');

  const settingsFile = path.join(dir, 'simulator.json');
  assert.equal(fs.statSync(settingsFile).mode & 0o777, 0o600);
  const settings = JSON.parse(fs.readFileSync(settingsFile, 'utf8')) as Record<string, string>;
  assert.deepEqual(settings, {
    rpUrl,
    appUrl,
    ca: path.join(dir, 'ca.pem'),
    clientPfx: path.join(dir, 'client.p12'),
    passphrase: 'qwerty123',
    clientCert: path.join(dir, 'client.pem'),
    clientKey: path.join(dir, 'client.key'),
  });

  // A backend in any language: the RP client from the files, the user's app through the app URL.
  const ca = fs.readFileSync(String(settings['ca']), 'utf8');
  const rp = createRpClient({
    url: rpUrl,
    ca,
    pfx: fs.readFileSync(String(settings['clientPfx'])),
    passphrase: String(settings['passphrase']),
  });
  onCleanup(() => rp.close());
  const order = await rp.auth(authBody());
  const post = (operation: string, body: unknown) =>
    fetch(new URL(operation, appUrl), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
  const orders = (await (await fetch(new URL('orders', appUrl))).json()) as {
    pickupTimeoutMs: number;
    orders: Array<{ orderRef: string }>;
  };
  assert.equal(orders.pickupTimeoutMs, 45_000);
  assert.equal(orders.orders[0]?.orderRef, order.orderRef);
  assert.equal((await post('scan', {})).status, 200);
  assert.equal((await rp.collect(order.orderRef)).status, 'pending');
  assert.equal((await post('identify', { orderRef: order.orderRef })).status, 200);
  const done = await rp.collect(order.orderRef);
  assert.equal(done.status, 'complete');

  const pem = createRpClient({
    url: rpUrl,
    ca,
    key: fs.readFileSync(String(settings['clientKey'])),
    cert: fs.readFileSync(String(settings['clientCert'])),
  });
  onCleanup(() => pem.close());
  assert.equal(typeof (await pem.auth(authBody())).orderRef, 'string');

  await running.stop();
  assert.equal(await running.exitCode, 0);
  assert.match(out.stdout, /Stopped\.\n$/);
  await rejectsWith(rp.auth(authBody()), RpNetworkError);
  assert.ok(fs.existsSync(path.join(dir, 'ca.pem')), 'the certificates stay for the next start');
});

test('defaults: port 9443 and ./bankid-sim relative to the working folder', async () => {
  const cwd = tempDir();
  const blocker = net.createServer();
  // Port 9443 may be busy on this machine; either way the answer says which port was tried.
  const free = await new Promise<boolean>((resolve) => {
    blocker.once('error', () => resolve(false));
    blocker.listen(9443, '127.0.0.1', () => resolve(true));
  });
  if (free) await new Promise((resolve) => blocker.close(resolve));
  const { out, running } = await run([], cwd);
  if (free) {
    assert.match(printed(out.stdout, 'RP API'), /^https:\/\/127\.0\.0\.1:9443\/rp\/v6\.0\/$/);
    assert.ok(fs.existsSync(path.join(cwd, 'bankid-sim', 'simulator.json')));
    await running.stop();
    assert.equal(await running.exitCode, 0);
  } else {
    assert.equal(await running.exitCode, 1);
    assert.match(out.stderr, /--port 9443/);
  }
});

test('a bad flag exits 2 with a clear message; --help exits 0 with the usage', async () => {
  for (const [argv, message] of [
    [['--bogus'], /Unknown option '--bogus'/],
    [['--port', 'abc'], /--port must be a whole number from 0 to 65535, got "abc"/],
    [['--port', '70000'], /--port must be a whole number/],
    [['--app-port', '-1'], /--app-port/],
    [['--pickup-timeout-ms', '0'], /--pickup-timeout-ms must be a whole number from 1/],
    [['--host', '0.0.0.0'], /--host must be 127\.0\.0\.1, ::1 or localhost/],
    [['--cert-dir', ''], /--cert-dir/],
    [['--port'], /--port/],
    [['serve'], /serve/],
  ] as const) {
    const { out, running } = await run([...argv]);
    assert.equal(await running.exitCode, 2, argv.join(' '));
    assert.match(out.stderr, message, argv.join(' '));
    assert.match(out.stderr, /^bankid-login-simulator: [\s\S]*\nTry --help\.\n$/);
    assert.equal(out.stdout, '');
  }
  const { out, running } = await run(['--help']);
  assert.equal(await running.exitCode, 0);
  assert.equal(out.stdout, USAGE);
  for (const flag of ['--port', '--app-port', '--host', '--cert-dir', '--pickup-timeout-ms', '--help'])
    assert.ok(USAGE.includes(flag), flag);
});

test('a port in use exits 1 and says so', async () => {
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  onCleanup(() => new Promise((resolve) => blocker.close(resolve)));
  const port = (blocker.address() as AddressInfo).port;
  const { out, running } = await run(['--port', String(port)]);
  assert.equal(await running.exitCode, 1);
  assert.match(out.stderr, new RegExp(`a port is already in use \\(--port ${port}\\)`));
});

test('the command as a process stops cleanly on SIGINT and SIGTERM', async () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', COMMAND, '--port', '0', '--cert-dir', path.join(tempDir(), 'certs')],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    onCleanup(() => child.kill('SIGKILL'));
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk;
        if (stdout.includes('Ctrl-C stops it.')) resolve();
      });
      child.on('exit', () => reject(new Error(`the command ended early: ${stderr}`)));
    });
    const rpUrl = printed(stdout, 'RP API');
    child.kill(signal);
    assert.equal(await exited, 0, signal);
    assert.match(stdout, /Stopped\.\n$/);
    const port = Number(new URL(rpUrl).port);
    const refused = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(false)));
      socket.once('error', () => resolve(true));
    });
    assert.ok(refused, `the RP API port is closed after ${signal}`);
  }
});

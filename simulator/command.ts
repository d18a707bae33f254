#!/usr/bin/env node
// bankid-login-simulator: the simulator from a shell, for backends in any language. It writes the
// certificates to a folder, prints where everything is, and runs until Ctrl-C.

import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { isProgram } from './program.js';
import { startSimulator, type Simulator } from './index.js';

const DEFAULT_PORT = 9443;
const DEFAULT_CERT_DIR = 'bankid-sim';

export const USAGE = `Usage: bankid-login-simulator [options]

A BankID RP API v6.0 simulator on loopback, over HTTPS with mutual TLS and throwaway certificates.

Options:
  --port N               RP API port (default ${DEFAULT_PORT}; 0 picks a free port)
  --app-port N           app API port (default: a free port)
  --host HOST            127.0.0.1 (default), ::1 or localhost
  --cert-dir DIR         where the certificates live (default ./${DEFAULT_CERT_DIR}); reused while valid
  --pickup-timeout-ms N  an order nobody picks up fails with startFailed after N ms (default 30000)
  --help                 this text
`;

/** Where the command writes its text. */
export interface CommandIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  /** The folder a relative --cert-dir is resolved against; default process.cwd(). */
  cwd?: string;
}

export interface CommandRun {
  /** Settles with the exit code: at once for --help or a bad flag, after stop() for a running simulator. */
  exitCode: Promise<number>;
  /** Stops a running simulator (what Ctrl-C does). */
  stop(): Promise<void>;
}

/** What simulator.json holds, for scripts. Paths are absolute. */
export interface SimulatorSettings {
  rpUrl: string;
  appUrl: string;
  ca: string;
  clientPfx: string;
  passphrase: string;
  clientCert: string;
  clientKey: string;
}

class UsageError extends Error {}

function wholeNumber(
  value: string | undefined,
  flag: string,
  fallback: number,
  { min = 0, max = Number.MAX_SAFE_INTEGER } = {},
): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!/^\d+$/.test(value) || number < min || number > max) {
    throw new UsageError(`${flag} must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return number;
}

function parseFlags(argv: readonly string[]) {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        'app-port': { type: 'string' },
        host: { type: 'string' },
        'cert-dir': { type: 'string' },
        'pickup-timeout-ms': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const host = values.host ?? '127.0.0.1';
  if (!['127.0.0.1', '::1', 'localhost'].includes(host)) {
    throw new UsageError(`--host must be 127.0.0.1, ::1 or localhost (loopback only), got ${JSON.stringify(host)}`);
  }
  const certDir = values['cert-dir'] ?? DEFAULT_CERT_DIR;
  if (certDir === '') throw new UsageError('--cert-dir must be a folder');
  return {
    help: values.help === true,
    host,
    port: wholeNumber(values.port, '--port', DEFAULT_PORT, { max: 65535 }),
    appPort: wholeNumber(values['app-port'], '--app-port', 0, { max: 65535 }),
    certDir,
    pickupTimeoutMs: wholeNumber(values['pickup-timeout-ms'], '--pickup-timeout-ms', 30_000, { min: 1 }),
  };
}

/** Writes `text` to `file` with mode 0600, replacing it whole. */
function writePrivateFile(file: string, text: string): void {
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, text, { mode: 0o600 });
  fs.renameSync(temporary, file);
}

/** The command itself, callable from tests: `argv` without `node` and the script. */
export async function runSimulatorCommand(argv: readonly string[], io: CommandIo): Promise<CommandRun> {
  const finished = (code: number): CommandRun => ({ exitCode: Promise.resolve(code), stop: async () => undefined });

  let flags;
  try {
    flags = parseFlags(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(`bankid-login-simulator: ${error.message}\nTry --help.\n`);
    return finished(2);
  }
  if (flags.help) {
    io.stdout.write(USAGE);
    return finished(0);
  }

  const certDir = path.resolve(io.cwd ?? process.cwd(), flags.certDir);
  let simulator: Simulator;
  try {
    simulator = await startSimulator({
      host: flags.host,
      port: flags.port,
      appPort: flags.appPort,
      certDir,
      pickupTimeoutMs: flags.pickupTimeoutMs,
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const message =
      code === 'EADDRINUSE'
        ? `a port is already in use (--port ${flags.port}${flags.appPort ? `, --app-port ${flags.appPort}` : ''}); choose another`
        : (error as Error).message;
    io.stderr.write(`bankid-login-simulator: ${message}\n`);
    return finished(1);
  }

  const { files, passphrase } = simulator.certificates;
  const settingsFile = path.join(certDir, 'simulator.json');
  const settings: SimulatorSettings = {
    rpUrl: simulator.url,
    appUrl: simulator.appUrl,
    ca: files.ca,
    clientPfx: files.clientPfx,
    passphrase,
    clientCert: files.clientCert,
    clientKey: files.clientKey,
  };
  try {
    writePrivateFile(settingsFile, `${JSON.stringify(settings, null, 2)}\n`);
  } catch (error) {
    await simulator.close();
    io.stderr.write(`bankid-login-simulator: cannot write ${settingsFile}: ${(error as Error).message}\n`);
    return finished(1);
  }

  io.stdout.write(
    [
      'BankID RP API v6.0 simulator (loopback only, mutual TLS, throwaway certificates)',
      `RP API:           ${simulator.url}`,
      `App API:          ${simulator.appUrl}`,
      `CA to pin:        ${files.ca}`,
      `Client PKCS#12:   ${files.clientPfx} (passphrase ${passphrase})`,
      `Client PEM:       ${files.clientCert} + ${files.clientKey}`,
      `For scripts:      ${settingsFile}`,
      'Ctrl-C stops it.',
      '',
    ].join('\n'),
  );

  let resolveExit: (code: number) => void = () => undefined;
  const exitCode = new Promise<number>((resolve) => (resolveExit = resolve));
  let stopping: Promise<void> | null = null;
  return {
    exitCode,
    stop() {
      stopping ??= simulator.close().then(() => {
        io.stdout.write('Stopped.\n');
        resolveExit(0);
      });
      return stopping;
    },
  };
}

if (isProgram(import.meta.url)) {
  // The handlers go in before anything is printed: a signal that comes the moment the URLs
  // appear must still stop the simulator cleanly. Once: a second Ctrl-C ends the process.
  let run: CommandRun | null = null;
  let stopAsked = false;
  const onSignal = (): void => {
    stopAsked = true;
    void run?.stop();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  run = await runSimulatorCommand(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });
  if (stopAsked) void run.stop();
  process.exitCode = await run.exitCode;
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
}

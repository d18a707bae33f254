#!/usr/bin/env node
// bankid-login-check: checks a host backend of CONTRACT §4, in any language, against the
// simulator. One line per check, then "N passed, N failed"; exit code 1 when a check failed.

import { parseArgs } from 'node:util';
import { isProgram } from './program.js';
import { checkBackend, type CheckResult } from './checker.js';

export const CHECK_USAGE = `Usage: bankid-login-check --api URL --simulator URL [options]

Drives a BankID backend the way <bankid-login> and the user's BankID app would, and checks
CONTRACT §4: both flows log in, session binding, the QR code, BankID's collect pace, cancel,
BankID's errors, CSRF, and that no secret or personal data reaches the browser early.
The backend must be configured against the simulator (bankid-login-simulator).

Options:
  --api URL          the backend's base URL, e.g. http://localhost:8080/api/bankid
  --simulator URL    the simulator's app API URL (bankid-login-simulator prints it)
  --origin ORIGIN    the page's origin as the backend knows it (default: the origin of --api)
  --operation OP     auth (default) or sign
  --help             this text
`;

export interface CheckIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

/** Runs the command with `argv` (without node and the script); resolves with the exit code. */
export async function runCheckCommand(argv: string[], io: CheckIo): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        api: { type: 'string' },
        simulator: { type: 'string' },
        origin: { type: 'string' },
        operation: { type: 'string' },
        help: { type: 'boolean' },
      },
      strict: true,
    }));
  } catch (error) {
    io.stderr.write(`bankid-login-check: ${(error as Error).message}\n\n${CHECK_USAGE}`);
    return 2;
  }
  if (values['help']) {
    io.stdout.write(CHECK_USAGE);
    return 0;
  }
  const { api, simulator, origin, operation } = values as Record<string, string | undefined>;
  const problems: string[] = [];
  const isUrl = (text: string | undefined) => {
    try {
      return text !== undefined && /^https?:$/.test(new URL(text).protocol);
    } catch {
      return false;
    }
  };
  if (!isUrl(api)) problems.push('--api must be the backend URL, e.g. http://localhost:8080/api/bankid');
  if (!isUrl(simulator)) problems.push("--simulator must be the simulator's app API URL");
  if (origin !== undefined && !isUrl(origin)) problems.push('--origin must be an origin such as https://shop.example');
  if (operation !== undefined && operation !== 'auth' && operation !== 'sign')
    problems.push('--operation must be auth or sign');
  if (problems.length > 0) {
    io.stderr.write(`${problems.map((p) => `bankid-login-check: ${p}`).join('\n')}\n\n${CHECK_USAGE}`);
    return 2;
  }

  const print = (result: CheckResult): void => {
    io.stdout.write(result.passed ? `pass  ${result.name}\n` : `FAIL  ${result.name}: ${result.why}\n`);
  };
  let results: CheckResult[];
  try {
    results = await checkBackend({
      api: api!,
      simulator: simulator!,
      ...(origin ? { origin } : {}),
      ...(operation ? { operation: operation as 'auth' | 'sign' } : {}),
      onResult: print,
    });
  } catch (error) {
    io.stderr.write(`bankid-login-check: ${(error as Error).message}\n`);
    return 2;
  }
  const failed = results.filter((result) => !result.passed).length;
  io.stdout.write(`${results.length - failed} passed, ${failed} failed\n`);
  return failed === 0 ? 0 : 1;
}

if (isProgram(import.meta.url)) {
  process.exitCode = await runCheckCommand(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });
}

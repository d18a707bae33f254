// Shared helpers for the simulator's tests: a simulator with a clock the test moves, an RP client
// for it, raw HTTPS requests, and clean-up.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import https from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, afterEach } from 'node:test';
import { createRpClient, type RpClient } from '../../server/rp-client.js';
import { ensureCertificates, type CertificateSet } from '../certificates.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../index.js';

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const T0 = Date.UTC(2025, 0, 15, 9, 0, 0);
export const IP = '192.0.2.10';
export const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
export const authBody = (extra: Record<string, unknown> = {}) => ({ endUserIp: IP, ...extra });

const tempDirs: string[] = [];
const cleanups: Array<() => unknown> = [];

/** A private temp folder, removed after the file's tests. */
export function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bankid-sim-test-'));
  tempDirs.push(dir);
  return dir;
}

/** Runs `cleanup` after the current test. */
export function onCleanup(cleanup: () => unknown): void {
  cleanups.push(cleanup);
}

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

after(() => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

let shared: CertificateSet | null = null;
/** One certificate set per test file: making one takes a moment. */
export function sharedCertificates(): CertificateSet {
  shared ??= ensureCertificates(tempDir());
  return shared;
}

export interface Setup {
  sim: Simulator;
  rp: RpClient;
  clock: { t: number };
}

/** A fresh simulator on free ports with a clock at T0, and an RP client for it. */
export async function setup(options: SimulatorOptions = {}): Promise<Setup> {
  const clock = { t: T0 };
  const sim = await startSimulator({ certDir: sharedCertificates().dir, now: () => clock.t, ...options });
  const rp = createRpClient(sim.rpClientOptions);
  onCleanup(() => sim.close());
  onCleanup(() => rp.close());
  return { sim, rp, clock };
}

export interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown> | null;
}

export interface RawOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  ca?: string;
  key?: string | null;
  cert?: string | null;
}

/** One HTTPS request without the RP client, to look at raw statuses and headers. */
export function raw(url: URL | string, options: RawOptions = {}): Promise<RawAnswer> {
  const certs = sharedCertificates();
  const { method = 'POST', headers = {}, body, ca = certs.ca } = options;
  const key = options.key === undefined ? certs.clientKey : options.key;
  const cert = options.cert === undefined ? certs.clientCert : options.cert;
  return new Promise((resolve, reject) => {
    const request = https.request(
      url,
      { method, headers, ca, ...(key === null ? {} : { key }), ...(cert === null ? {} : { cert }), agent: false },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: text ? (JSON.parse(text) as Record<string, unknown>) : null,
          }),
        );
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

/** Asserts that `promise` rejects with an instance of `type` whose fields match `fields`. */
export async function rejectsWith(
  promise: Promise<unknown>,
  type: abstract new (...args: never[]) => Error,
  fields: Record<string, unknown> = {},
): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof type, `expected ${type.name}, got ${String(error)}`);
    const record = error as unknown as Record<string, unknown>;
    for (const [key, want] of Object.entries(fields)) {
      if (want instanceof RegExp) assert.match(String(record[key]), want, key);
      else assert.deepEqual(record[key], want, key);
    }
    return true;
  });
}

/** The JSON answer of one app API call. */
export async function appCall(
  sim: Pick<Simulator, 'appUrl'>,
  method: string,
  operation: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.headers = { 'Content-Type': 'application/json', ...headers };
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
  }
  const response = await fetch(new URL(operation, sim.appUrl), init);
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
  };
}

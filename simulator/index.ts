// bankid-login/simulator: a simulator of BankID's RP API v6.0 for testing backends, with the
// user's BankID app played by code (`sim.app`) or over HTTP (the app API). Loopback only, HTTPS
// with mutual TLS and throwaway certificates, so a backend talks to it exactly as to BankID.

import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { toNodeListener } from '../server/http.js';
import { APP_API_MAX_BODY_BYTES, createAppApi } from './app-api.js';
import { ensureCertificates } from './certificates.js';
import { createOrderBook, type OrderView } from './order-book.js';
import { API_PATH, createRpApi, serveRpApi, type Injection, type InjectionSetting } from './rp-api.js';
import { createSimulatedApp, type SimulatedApp } from './simulated-app.js';
import { DEMO_USER, checkUser, type SimulatedUser } from './user.js';

export { DEMO_USER, withCheckDigit, type SimulatedUser } from './user.js';
export { COMPLETE_KEPT_MS, FAILED_KEPT_MS } from './order-book.js';
export type {
  AppRefusal,
  AppRefusalReason,
  AppResult,
  AppSuccess,
  Leak,
  OrderStatus,
  OrderView,
  PickedUpBy,
  Risk,
} from './order-book.js';
export type { InjectableError, Injection, InjectionSetting, RpEndpointName } from './rp-api.js';
export type { InjectionJson } from './app-api.js';
export type { SimulatedApp } from './simulated-app.js';

export interface SimulatorOptions {
  /** '127.0.0.1' (default), '::1' or 'localhost': loopback only, the names its certificate covers. */
  host?: string;
  /** The RP API's port; 0 (default) picks a free one. */
  port?: number;
  /** The app API's port; 0 (default) picks a free one. */
  appPort?: number;
  /** Where the certificates live; a valid set there is reused. Default: a private temp folder that close() removes. */
  certDir?: string;
  /** An order nobody picks up fails with startFailed after this long; default 30 000 ms. */
  pickupTimeoutMs?: number;
  /** A picked-up order the user does not finish fails with expiredTransaction after this long; default 180 000 ms. */
  signTimeoutMs?: number;
  /** The clock, in ms; default Date.now. Timeouts are worked out from it whenever something happens. */
  now?: () => number;
  /** Makes orderRefs, tokens and secrets; default crypto.randomUUID. */
  random?: () => string;
  /** The person whose BankID the simulated app holds; default DEMO_USER. */
  user?: SimulatedUser;
}

export interface Simulator {
  /** The RP API's base URL, e.g. https://127.0.0.1:PORT/rp/v6.0/ */
  url: string;
  /** What createRpClient (bankid-login/server) needs to talk to this simulator. */
  rpClientOptions: { url: string; pfx: Buffer; passphrase: string; ca: string };
  certificates: {
    dir: string;
    /** The CA to pin, PEM. */
    ca: string;
    clientCert: string;
    clientKey: string;
    clientPfx: Buffer;
    passphrase: string;
    /** Absolute paths. */
    files: { ca: string; clientCert: string; clientKey: string; clientPfx: string };
  };
  /** The app API over HTTP on loopback: http://127.0.0.1:PORT/<secret>/ */
  appUrl: string;
  /** The secret path segment of the app API; knowing it is the permission to use it. */
  appSecret: string;
  /** The app API as a Fetch handler: answers `${basePath}${appSecret}/<operation>`, anything else 404. */
  appApi(request: Request, basePath?: string): Promise<Response>;
  /** The simulated user's BankID app. */
  app: SimulatedApp;
  /** Makes the next `count` requests to `endpoints` fail and/or answer late; `{error: null, delayMs: 0}` clears it. */
  inject(setting: InjectionSetting): Injection;
  injection(): Injection;
  /** Every order still known, newest first, without the qrStartSecret. */
  orders(): OrderView[];
  /** Stops both servers and drops connections and delayed answers; removes the temp cert folder if it made one. */
  close(): Promise<void>;
}

const LOOPBACK_HOSTS = ['127.0.0.1', '::1', 'localhost'];

function checkPort(value: unknown, name: string): number {
  if (!(typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 65535)) {
    throw new TypeError(`startSimulator: ${name} must be a whole number from 0 to 65535`);
  }
  return value;
}

function checkDuration(value: unknown, name: string): number {
  if (!(typeof value === 'number' && Number.isFinite(value) && value > 0)) {
    throw new TypeError(`startSimulator: ${name} must be a positive number of ms`);
  }
  return value;
}

function checkFunction<T extends (...args: never[]) => unknown>(value: unknown, name: string): T {
  if (typeof value !== 'function') throw new TypeError(`startSimulator: ${name} must be a function`);
  return value as T;
}

function listen(server: http.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function stop(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeAllConnections(); // kept-alive and delayed ones too
  });
}

/** Starts the RP API (HTTPS, mutual TLS) and the app API (HTTP) on loopback. */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const host = options.host ?? '127.0.0.1';
  if (!LOOPBACK_HOSTS.includes(host)) {
    throw new TypeError(
      'startSimulator: host must be 127.0.0.1, ::1 or localhost (loopback only; its certificate covers these)',
    );
  }
  const port = checkPort(options.port ?? 0, 'port');
  const appPort = checkPort(options.appPort ?? 0, 'appPort');
  const pickupTimeoutMs = checkDuration(options.pickupTimeoutMs ?? 30_000, 'pickupTimeoutMs');
  const signTimeoutMs = checkDuration(options.signTimeoutMs ?? 180_000, 'signTimeoutMs');
  const now = checkFunction<() => number>(options.now ?? Date.now, 'now');
  const random = checkFunction<() => string>(options.random ?? randomUUID, 'random');
  const user = checkUser(options.user ?? DEMO_USER);
  if (options.certDir !== undefined && (typeof options.certDir !== 'string' || options.certDir === '')) {
    throw new TypeError('startSimulator: certDir must be a path');
  }

  const ownDir = options.certDir === undefined;
  const dir = ownDir
    ? fs.mkdtempSync(path.join(os.tmpdir(), 'bankid-login-simulator-'))
    : path.resolve(options.certDir ?? '');
  const removeOwnDir = (): void => {
    if (ownDir) fs.rmSync(dir, { recursive: true, force: true });
  };

  let rpServer: http.Server | null = null;
  let appServer: http.Server | null = null;
  try {
    const certificates = ensureCertificates(dir);
    const book = createOrderBook({ now, pickupTimeoutMs, signTimeoutMs, random, user });
    const rpApi = createRpApi(book);
    const app = createSimulatedApp(book, user);
    const appSecret = randomBytes(32).toString('base64url');
    const appApi = createAppApi(
      { app, orders: () => book.list(), inject: rpApi.inject, injection: rpApi.injection, pickupTimeoutMs },
      appSecret,
    );

    rpServer = serveRpApi(rpApi.handle, {
      ca: certificates.ca,
      key: certificates.serverKey,
      cert: certificates.serverCert,
    });
    appServer = http.createServer(
      toNodeListener((request) => appApi(request, '/'), { maxBodyBytes: APP_API_MAX_BODY_BYTES }),
    );
    const hostInUrl = host.includes(':') ? `[${host}]` : host;
    const url = `https://${hostInUrl}:${await listen(rpServer, port, host)}${API_PATH}`;
    const appUrl = `http://${hostInUrl}:${await listen(appServer, appPort, host)}/${appSecret}/`;

    const servers = [rpServer, appServer];
    let closing: Promise<void> | null = null;
    const { ca, clientCert, clientKey, clientPfx, passphrase, files } = certificates;
    return Object.freeze({
      url,
      rpClientOptions: Object.freeze({ url, pfx: clientPfx, passphrase, ca }),
      certificates: Object.freeze({
        dir,
        ca,
        clientCert,
        clientKey,
        clientPfx,
        passphrase,
        files: Object.freeze({
          ca: files.ca,
          clientCert: files.clientCert,
          clientKey: files.clientKey,
          clientPfx: files.clientPfx,
        }),
      }),
      appUrl,
      appSecret,
      appApi,
      app,
      inject: (setting: InjectionSetting) => rpApi.inject(setting),
      injection: () => rpApi.injection(),
      orders: () => book.list(),
      close() {
        closing ??= (async () => {
          rpApi.stopDelays();
          await Promise.all(servers.map(stop));
          removeOwnDir();
        })();
        return closing;
      },
    });
  } catch (error) {
    await Promise.all([rpServer, appServer].map((server) => (server ? stop(server) : undefined)));
    removeOwnDir();
    throw error;
  }
}
export { checkBackend, type CheckOptions, type CheckResult } from './checker.js';

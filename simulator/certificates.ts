// Throwaway certificates, so the simulator can speak mutual TLS on loopback like BankID does
// (BANKID-REFERENCE §1.1). A tiny PKI, made once per folder:
//
//   ca.pem                   a CA (EC P-256, 10 years). Its private key is used once, in a private
//                            temp folder, and then deleted: nothing can mint more certificates
//                            later, and a lost key cannot be abused.
//   server.key, server.pem   the simulator's certificate: localhost, 127.0.0.1, ::1 (serverAuth)
//   client.key, client.pem   the RP certificate a backend presents (clientAuth)
//   client.p12               the same client key and certificate as PKCS#12, passphrase
//                            `qwerty123`, like BankID's public test certificate
//
// Node cannot make X.509 certificates, so the `openssl` command does (no shell, fixed arguments).
// Files are 0600 in a 0700 folder. A set that is missing, unreadable, inconsistent or about to
// expire is made again as a whole.

import { execFileSync } from 'node:child_process';
import { X509Certificate, createPrivateKey, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';

/** The same passphrase as BankID's public test RP certificate; the CA is trusted only here. */
export const CLIENT_PFX_PASSPHRASE = 'qwerty123';

const CA_DAYS = 3650;
const LEAF_DAYS = 825;
/** Make the set again if any certificate ends within this margin. */
const RENEW_MARGIN_MS = 24 * 60 * 60 * 1000;

const FILES = {
  ca: 'ca.pem',
  serverKey: 'server.key',
  serverCert: 'server.pem',
  clientKey: 'client.key',
  clientCert: 'client.pem',
  clientPfx: 'client.p12',
} as const;

type PemName = Exclude<keyof typeof FILES, 'clientPfx'>;

/** The certificates and where they are. */
export interface CertificateSet {
  /** The folder, absolute. */
  dir: string;
  /** The CA that both sides trust (pin it), PEM. */
  ca: string;
  serverKey: string;
  /** The simulator's certificate: localhost, 127.0.0.1, ::1. */
  serverCert: string;
  /** The RP's key and certificate, PEM. */
  clientKey: string;
  clientCert: string;
  /** The RP's key and certificate as PKCS#12. */
  clientPfx: Buffer;
  passphrase: string;
  /** Absolute paths. */
  files: {
    ca: string;
    serverKey: string;
    serverCert: string;
    clientKey: string;
    clientCert: string;
    clientPfx: string;
  };
}

const SERVER_EXTENSIONS = [
  'basicConstraints = critical, CA:FALSE',
  'keyUsage = critical, digitalSignature',
  'extendedKeyUsage = serverAuth',
  'subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1',
  'subjectKeyIdentifier = hash',
  'authorityKeyIdentifier = keyid',
].join('\n');

const CLIENT_EXTENSIONS = [
  'basicConstraints = critical, CA:FALSE',
  'keyUsage = critical, digitalSignature',
  'extendedKeyUsage = clientAuth',
  'subjectKeyIdentifier = hash',
  'authorityKeyIdentifier = keyid',
].join('\n');

/**
 * The certificates in `dir`, made with `openssl` when they are missing, unreadable, inconsistent
 * or about to expire.
 */
export function ensureCertificates(dir: string): CertificateSet {
  const absolute = path.resolve(dir);
  const existing = readSet(absolute);
  if (existing && isUsable(existing)) return existing;
  // If another process races us, each uses the set it made itself, which is consistent.
  return createSet(absolute);
}

function filesIn(dir: string): CertificateSet['files'] {
  const at = (file: string): string => path.join(dir, file);
  return {
    ca: at(FILES.ca),
    serverKey: at(FILES.serverKey),
    serverCert: at(FILES.serverCert),
    clientKey: at(FILES.clientKey),
    clientCert: at(FILES.clientCert),
    clientPfx: at(FILES.clientPfx),
  };
}

/** Every file of the set, or null if any is missing or unreadable. */
function readSet(dir: string): CertificateSet | null {
  const files = filesIn(dir);
  try {
    const pem = (name: PemName): string => fs.readFileSync(files[name], 'utf8');
    return {
      dir,
      ca: pem('ca'),
      serverKey: pem('serverKey'),
      serverCert: pem('serverCert'),
      clientKey: pem('clientKey'),
      clientCert: pem('clientCert'),
      clientPfx: fs.readFileSync(files.clientPfx),
      passphrase: CLIENT_PFX_PASSPHRASE,
      files,
    };
  } catch {
    return null;
  }
}

/** True if the set parses, chains to its CA, matches its keys and stays valid for a while. */
function isUsable(set: CertificateSet): boolean {
  try {
    const ca = new X509Certificate(set.ca);
    const server = new X509Certificate(set.serverCert);
    const client = new X509Certificate(set.clientCert);
    const soon = Date.now() + RENEW_MARGIN_MS;
    for (const cert of [ca, server, client]) {
      if (Date.parse(cert.validFrom) > Date.now() || Date.parse(cert.validTo) < soon) return false;
    }
    // Loads only with the right passphrase and a well-formed PKCS#12.
    tls.createSecureContext({ pfx: set.clientPfx, passphrase: set.passphrase });
    return (
      ca.ca &&
      server.verify(ca.publicKey) &&
      client.verify(ca.publicKey) &&
      server.checkPrivateKey(createPrivateKey(set.serverKey)) &&
      client.checkPrivateKey(createPrivateKey(set.clientKey)) &&
      server.checkIP('127.0.0.1') !== undefined
    );
  } catch {
    return false;
  }
}

/** Makes a new set in a private temp folder inside `dir`, then moves the files into place. */
function createSet(dir: string): CertificateSet {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  // Inside `dir`, so that rename() stays on one file system (atomic per file).
  const work = fs.mkdtempSync(path.join(dir, '.tmp-'));
  try {
    const at = (file: string): string => path.join(work, file);
    makeCa(at('ca.key'), at(FILES.ca));
    makeLeaf(work, 'server', '/CN=localhost', SERVER_EXTENSIONS);
    makeLeaf(work, 'client', '/O=bankid-login simulator/CN=Simulated RP', CLIENT_EXTENSIONS);
    // prettier-ignore
    openssl([
      'pkcs12', '-export',
      '-inkey', at(FILES.clientKey), '-in', at(FILES.clientCert),
      '-name', 'bankid-login simulator RP',
      '-passout', `pass:${CLIENT_PFX_PASSPHRASE}`,
      '-out', at(FILES.clientPfx),
    ]);
    fs.rmSync(at('ca.key'), { force: true });

    for (const file of Object.values(FILES)) fs.chmodSync(at(file), 0o600);
    const set = readSet(work);
    if (!set || !isUsable(set)) throw new Error('certificates: openssl made a set that does not verify');
    for (const file of Object.values(FILES)) fs.renameSync(at(file), path.join(dir, file));
    return { ...set, dir, files: filesIn(dir) };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** A self-signed CA certificate with a fresh P-256 key. */
function makeCa(keyFile: string, certFile: string): void {
  // A random name: two sets never look alike, so the wrong ca.pem is easy to spot.
  const subject = `/O=bankid-login simulator/CN=bankid-login simulator CA ${randomBytes(4).toString('hex')}`;
  // prettier-ignore
  openssl([
    'req', '-x509', '-new', '-nodes',
    '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
    '-keyout', keyFile, '-out', certFile,
    '-days', String(CA_DAYS), '-sha256',
    '-subj', subject,
    '-addext', 'basicConstraints=critical,CA:TRUE,pathlen:0',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    '-addext', 'subjectKeyIdentifier=hash',
  ]);
}

/** A key, a request and a certificate signed by the CA in `work`, with the given extensions. */
function makeLeaf(work: string, name: string, subject: string, extensions: string): void {
  const at = (file: string): string => path.join(work, file);
  fs.writeFileSync(at(`${name}.ext`), `${extensions}\n`, { mode: 0o600 });
  // A random serial: two sets made by racing processes never share one.
  const hex = randomBytes(16).toString('hex');
  const serial = `0x${hex.replace(/^[89a-f]/, '1')}`;
  // prettier-ignore
  openssl([
    'req', '-new', '-nodes',
    '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
    '-keyout', at(`${name}.key`), '-out', at(`${name}.csr`),
    '-subj', subject,
  ]);
  // prettier-ignore
  openssl([
    'x509', '-req', '-in', at(`${name}.csr`),
    '-CA', at(FILES.ca), '-CAkey', at('ca.key'),
    '-set_serial', serial,
    '-days', String(LEAF_DAYS), '-sha256',
    '-extfile', at(`${name}.ext`),
    '-out', at(`${name}.pem`),
  ]);
}

/** Runs `openssl` with fixed arguments (no shell); says clearly when it is missing. */
function openssl(args: string[]): void {
  try {
    execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(
        'certificates: the `openssl` command was not found. The simulator needs it once, to make its ' +
          "throwaway certificates; install it: apt-get install openssl (or your system's equivalent)",
        { cause: error },
      );
    }
    const stderr = String((error as { stderr?: Buffer }).stderr ?? '').trim();
    throw new Error(`certificates: openssl ${args[0] ?? ''} failed${stderr ? `: ${stderr}` : ''}`, { cause: error });
  }
}

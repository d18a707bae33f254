// demo/certs.js — throwaway certificates so the demo can speak mutual TLS on loopback.
//
// BankID's RP API only talks HTTPS with a client certificate (BANKID-REFERENCE §1.1). To run that
// same path on one machine, the demo makes its own tiny PKI on first start:
//
//   ca.pem                     a throwaway CA (EC P-256, 10 years). Its private key is used once,
//                              in a private temp dir, and then deleted: nothing can mint more
//                              certificates later, and a lost key cannot be abused.
//   server.key / server.pem    the simulator's certificate: localhost, 127.0.0.1, ::1 (serverAuth)
//   client.key / client.pem    the RP certificate the reference backend presents (clientAuth)
//
// Node cannot create X.509 certificates by itself, so the `openssl` command does it (no shell,
// fixed arguments). Files are written 0600 in a 0700 directory (demo/.certs/ is git-ignored).
// A set that is missing, unreadable, inconsistent or about to expire is made again as a whole.

import { execFileSync } from 'node:child_process';
import { X509Certificate, createPrivateKey, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const DEMO_DIR = path.dirname(fileURLToPath(import.meta.url));
const DEFAULT_DIR = path.join(DEMO_DIR, '.certs');

const CA_DAYS = 3650;
const LEAF_DAYS = 825;
/** Make the set again if any certificate ends within this margin. */
const RENEW_MARGIN_MS = 24 * 60 * 60 * 1000;

/** File name of each PEM in the returned object. */
const FILES = {
  caCert: 'ca.pem',
  serverKey: 'server.key',
  serverCert: 'server.pem',
  clientKey: 'client.key',
  clientCert: 'client.pem',
};

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
 * @typedef {object} CertificateSet PEM strings
 * @property {string} caCert     the throwaway CA; trusted by both sides (pinned)
 * @property {string} serverKey  the simulator's private key
 * @property {string} serverCert the simulator's certificate (localhost, 127.0.0.1, ::1)
 * @property {string} clientKey  the RP's private key
 * @property {string} clientCert the RP client certificate ("Demo RP")
 */

/**
 * Return the demo's CA, server and client certificates, creating them with `openssl` when they
 * are missing, unreadable, inconsistent or about to expire.
 * @param {string} [dir] where the PEM files live (default: demo/.certs)
 * @returns {CertificateSet}
 */
export function ensureCertificates(dir = DEFAULT_DIR) {
  const existing = readSet(dir);
  if (existing && isUsable(existing)) return existing;
  const created = createSet(dir);
  // Another process may have raced us and renamed its own files in between; the set we made
  // ourselves is consistent, so that is the one this process uses.
  return created;
}

/** Read all five PEM files, or null if any is missing or unreadable. */
function readSet(dir) {
  try {
    /** @type {Record<string, string>} */
    const set = {};
    for (const [name, file] of Object.entries(FILES)) {
      set[name] = fs.readFileSync(path.join(dir, file), 'utf8');
    }
    return /** @type {CertificateSet} */ (set);
  } catch {
    return null;
  }
}

/** True if the set parses, chains to its CA, matches its keys and is valid for a while yet. */
function isUsable(set) {
  try {
    const ca = new X509Certificate(set.caCert);
    const server = new X509Certificate(set.serverCert);
    const client = new X509Certificate(set.clientCert);
    const soon = Date.now() + RENEW_MARGIN_MS;
    for (const cert of [ca, server, client]) {
      if (Date.parse(cert.validFrom) > Date.now() || Date.parse(cert.validTo) < soon) return false;
    }
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

/** Make a new set in a private temp dir beside `dir`, then move the files into place. */
function createSet(dir) {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  // The temp dir is inside `dir` so that rename() stays on one file system (atomic per file).
  const work = fs.mkdtempSync(path.join(dir, '.tmp-'));
  try {
    const at = (file) => path.join(work, file);
    makeCa(at('ca.key'), at('ca.pem'));
    makeLeaf(work, 'server', '/CN=localhost', SERVER_EXTENSIONS);
    makeLeaf(work, 'client', '/O=bankid-login demo/CN=Demo RP', CLIENT_EXTENSIONS);
    fs.rmSync(at('ca.key'), { force: true });

    const set = /** @type {CertificateSet} */ ({});
    for (const [name, file] of Object.entries(FILES)) {
      fs.chmodSync(at(file), 0o600);
      set[name] = fs.readFileSync(at(file), 'utf8');
    }
    if (!isUsable(set)) throw new Error('certs: openssl made a certificate set that does not verify');
    for (const file of Object.values(FILES)) fs.renameSync(at(file), path.join(dir, file));
    return set;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** A self-signed CA certificate with a fresh P-256 key. */
function makeCa(keyFile, certFile) {
  openssl([
    'req', '-x509', '-new', '-nodes',
    '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
    '-keyout', keyFile, '-out', certFile,
    '-days', String(CA_DAYS), '-sha256',
    '-subj', `/O=bankid-login demo/CN=bankid-login demo CA ${randomBytes(4).toString('hex')}`,
    '-addext', 'basicConstraints=critical,CA:TRUE,pathlen:0',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    '-addext', 'subjectKeyIdentifier=hash',
  ]);
}

/** A key, a request and a certificate signed by the CA in `work`, with the given extensions. */
function makeLeaf(work, name, subject, extensions) {
  const at = (file) => path.join(work, file);
  fs.writeFileSync(at(`${name}.ext`), `${extensions}\n`, { mode: 0o600 });
  openssl([
    'req', '-new', '-nodes',
    '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
    '-keyout', at(`${name}.key`), '-out', at(`${name}.csr`),
    '-subj', subject,
  ]);
  openssl([
    'x509', '-req', '-in', at(`${name}.csr`),
    '-CA', at('ca.pem'), '-CAkey', at('ca.key'),
    // A random serial: two sets made by racing processes never share one.
    '-set_serial', `0x${randomBytes(16).toString('hex').replace(/^[89a-f]/, '1')}`,
    '-days', String(LEAF_DAYS), '-sha256',
    '-extfile', at(`${name}.ext`),
    '-out', at(`${name}.pem`),
  ]);
}

/** Run `openssl` with fixed arguments (no shell); explain a missing command clearly. */
function openssl(args) {
  try {
    execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 });
  } catch (error) {
    if (/** @type {NodeJS.ErrnoException} */ (error).code === 'ENOENT') {
      throw new Error(
        'certs: the `openssl` command was not found. The demo needs it once, to make its ' +
          'throwaway certificates; install it: apt-get install openssl (or your system\'s equivalent)',
        { cause: error },
      );
    }
    const stderr = String(/** @type {{stderr?: Buffer}} */ (error).stderr ?? '').trim();
    throw new Error(`certs: openssl ${args[0]} failed${stderr ? `: ${stderr}` : ''}`, { cause: error });
  }
}

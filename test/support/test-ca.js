'use strict';
/**
 * A throwaway certificate authority and server certificates it signed, made with the
 * `openssl` command (Node has no certificate generator): P-256 keys, valid for two
 * days. Plain CommonJS so that the SMTP benchmark (bench/smtp.js) can use it too;
 * test-ca.d.ts types it.
 */
const { execFileSync } = require('node:child_process');
const { mkdtempSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function createTestCa() {
  const dir = mkdtempSync(join(tmpdir(), 'jobq-test-ca-'));
  const path = (name) => join(dir, name);
  const openssl = (...args) =>
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  // prettier-ignore
  openssl(
    'req', '-x509', ...EC, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2',
    '-subj', '/CN=Job Queue Test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  );
  const issue = (name, altNames) => {
    openssl('req', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    writeFileSync(
      path(`${name}.ext`),
      [
        `subjectAltName=${altNames}`,
        'basicConstraints=critical,CA:FALSE',
        'keyUsage=critical,digitalSignature',
        'extendedKeyUsage=serverAuth',
      ].join('\n'),
    );
    // prettier-ignore
    openssl(
      'x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key',
      '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`,
    );
    return {
      key: readFileSync(path(`${name}.key`), 'utf8'),
      cert: readFileSync(path(`${name}.pem`), 'utf8'),
    };
  };
  const server = issue('localhost', 'DNS:localhost,IP:127.0.0.1');
  return {
    caPem: readFileSync(path('ca.pem'), 'utf8'),
    caFile: path('ca.pem'),
    ...server,
    otherHost: issue('mail.invalid', 'DNS:mail.invalid'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

module.exports = { createTestCa };

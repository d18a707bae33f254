// RP client errors: nothing that looks like a personal number reaches a log line, whatever way the
// error is written out (its message, JSON, util.inspect, the stack).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { RpError, RpNetworkError, isRpError, redactPersonalNumbers } from '../index.js';

const NUMBERS = ['199001011234', '19900101-1234', '900101-1234', '9001011234', '900101+1234'];

test('RpError: BankID details quoting personal numbers are redacted in details, JSON, inspect and the stack', () => {
  const error = new RpError({
    errorCode: 'invalidParameters',
    details: `Incorrect personalNumber ${NUMBERS.join(', ')} for order 1234`,
    status: 400,
    retryAfterMs: null,
    endpoint: 'auth',
  });
  for (const text of [error.message, error.details, JSON.stringify(error), inspect(error), String(error.stack)]) {
    for (const number of NUMBERS) assert.ok(!text.includes(number), `${number} in ${text}`);
  }
  assert.match(error.details, /Incorrect personalNumber \[redacted\]/);
  assert.match(error.details, /order 1234$/, 'short numbers stay');
  assert.equal(JSON.parse(JSON.stringify(error)).errorCode, 'invalidParameters');
  assert.ok(isRpError(error));
});

test('RpNetworkError serialises without its cause; redaction leaves other text alone', () => {
  const error = new RpNetworkError('connection failed (ECONNREFUSED)', {
    endpoint: 'collect',
    code: 'ECONNREFUSED',
    cause: new Error('x'),
  });
  assert.deepEqual(JSON.parse(JSON.stringify(error)), {
    name: 'RpNetworkError',
    message: 'BankID collect: connection failed (ECONNREFUSED)',
    endpoint: 'collect',
    code: 'ECONNREFUSED',
  });
  assert.equal(isRpError(error), false);
  assert.equal(redactPersonalNumbers('order 42, 2024-01-15'), 'order 42, 2024-01-15');
});

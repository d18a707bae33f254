// bankid-login/server: the host backend of CONTRACT §4 as a module a Node host imports.
// See server/README.md.

export {
  createBankIdBackend,
  cookieKeyFromEnv,
  previousCookieKeysFromEnv,
  DEFAULT_RATE_LIMITS,
  RETURN_NONCE_PARAM,
  type BankIdBackend,
  type BankIdBackendOptions,
  type Completion,
  type CompletionReply,
  type Flow,
  type OnComplete,
  type Operation,
  type RateLimits,
  type UserVisibleDataOption,
  type UserVisibleText,
} from './backend.js';
export {
  createRpClient,
  isRpError,
  redactPersonalNumbers,
  RpError,
  RpNetworkError,
  PRODUCTION_URL,
  TEST_URL,
  type CollectResult,
  type CompletionData,
  type OrderRequest,
  type OrderStarted,
  type Requirement,
  type RpApi,
  type RpClient,
  type RpClientOptions,
  type RpEndpoint,
} from './rp-client.js';
export {
  createMemoryStore,
  type BankIdStore,
  type CollectTurn,
  type MemoryStoreOptions,
  type RateRule,
  type TokenBucket,
} from './store.js';
export { qrAuthCode, qrPayload } from './qr-payload.js';
export type { ConnectionInfo, NodeListener } from './http.js';

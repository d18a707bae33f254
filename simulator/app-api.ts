// The simulated app and the fault injection over HTTP, for the demo page and for backends written
// in other languages. JSON in and out, under a path that starts with a random secret: knowing the
// URL is the permission to use it (a capability), so a web page the developer visits cannot
// drive the app, and the cross-site checks below refuse what a browser marks as foreign.
//
//   GET  orders      → {orders, injection, pickupTimeoutMs}
//   POST scan        {payload?, orderRef?, ipAddress?}    POST open {autoStartToken, ipAddress?}
//   POST identify    {orderRef?, risk?}   POST wrong-code {orderRef?}   POST cancel {orderRef?}
//   POST show-hint   {hintCode, orderRef?}  POST fail-with {hintCode, orderRef?}
//   POST check-qr    {payload}            POST leaks {text} → {leaks}
//   GET  inject      → InjectionJson      POST inject {error, delayMs, count, endpoints?}
//
// App actions answer 200 {ok: true, …} or 409 {ok: false, reason, message}.

import { createHash, timingSafeEqual } from 'node:crypto';
import {
  HttpError,
  errorResponse,
  invalidParameters,
  isJsonContentType,
  jsonResponse,
  readJsonObject,
} from '../server/http.js';
import { REFUSALS, type AppResult, type OrderView } from './order-book.js';
import type { Injection } from './rp-api.js';
import { checkHintCode, checkIpAddress, checkRisk, type SimulatedApp } from './simulated-app.js';

const MAX_BODY_BYTES = 4 * 1024;
/** A whole page or answer may be searched for leaks. */
const MAX_LEAK_TEXT_BYTES = 256 * 1024;
/** What the app API's own node server reads at most: the largest body of any operation. */
export const APP_API_MAX_BODY_BYTES = MAX_LEAK_TEXT_BYTES + 1024;

/** An injection as JSON: Infinity ("until cleared") becomes null. */
export interface InjectionJson {
  error: Injection['error'];
  delayMs: number;
  endpoints: string[];
  count: number | null;
  /** True while a fault or a delay is set. */
  active: boolean;
}

export function injectionJson(injection: Injection): InjectionJson {
  return {
    error: injection.error,
    delayMs: injection.delayMs,
    endpoints: [...injection.endpoints],
    count: Number.isFinite(injection.count) ? injection.count : null,
    active: injection.error !== null || injection.delayMs > 0,
  };
}

/** What the app API works on. */
export interface AppApiTarget {
  app: SimulatedApp;
  orders(): OrderView[];
  /** Checks the setting itself (TypeError on nonsense). */
  inject(setting: unknown): Injection;
  injection(): Injection;
  pickupTimeoutMs: number;
}

type Body = Record<string, unknown>;
type Answer = [status: number, body: unknown];

interface Operation {
  get?: () => Answer;
  post?: (body: Body) => Answer;
  /** The largest body this operation takes. */
  maxBytes?: number;
}

/** An app action's answer: 200 when the app did it, 409 with the reason when it would not. */
function actionAnswer(result: AppResult, extra: Body = {}): Answer {
  return [result.ok ? 200 : 409, { ...result, ...extra }];
}

/** An optional orderRef from a body. */
function optionalOrderRef(body: Body): string | undefined {
  const { orderRef } = body;
  if (orderRef === undefined || orderRef === null) return undefined;
  if (typeof orderRef !== 'string' || orderRef === '' || orderRef.length > 100) {
    throw invalidParameters('orderRef must be a string of 1–100 characters.');
  }
  return orderRef;
}

/** {error, delayMs, count, endpoints} from JSON; count null, "Infinity" or missing = until cleared. */
function parseInjection(body: Body): Body {
  const error = body['error'] === undefined || body['error'] === 'none' ? null : body['error'];
  const delayMs = body['delayMs'] === undefined || body['delayMs'] === null ? 0 : body['delayMs'];
  const rawCount = body['count'];
  const count =
    rawCount === undefined || rawCount === null || rawCount === 'Infinity' || rawCount === 'until-cleared'
      ? Infinity
      : rawCount;
  if (typeof delayMs !== 'number') throw invalidParameters('delayMs must be a number of ms.');
  if (typeof count !== 'number') throw invalidParameters('count must be a whole number, or null for "until cleared".');
  const endpoints = body['endpoints'];
  // inject() checks the values themselves (TypeError → 400).
  return { error, delayMs, count, ...(endpoints === undefined || endpoints === null ? {} : { endpoints }) };
}

/** TypeErrors of the app's argument checks become 400 invalidParameters. */
function asBadRequest<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof TypeError) throw invalidParameters(error.message);
    throw error;
  }
}

function operations(target: AppApiTarget): Record<string, Operation> {
  const { app } = target;
  const inAppAction = (act: (orderRef: string | undefined) => AppResult) => (body: Body) =>
    actionAnswer(act(optionalOrderRef(body)));

  const refusal = (reason: 'unknown' | 'ended' | 'already-picked-up' | 'no-qr'): AppResult => ({
    ok: false,
    reason,
    message: REFUSALS[reason],
  });

  return {
    orders: {
      get: () => [
        200,
        {
          orders: target.orders(),
          injection: injectionJson(target.injection()),
          pickupTimeoutMs: target.pickupTimeoutMs,
        },
      ],
    },
    inject: {
      get: () => [200, injectionJson(target.injection())],
      post: (body) => {
        const setting = parseInjection(body);
        return [200, injectionJson(asBadRequest(() => target.inject(setting)))];
      },
    },
    scan: {
      post: (body) => {
        const ipAddress = asBadRequest(() => checkIpAddress(body['ipAddress'], 'scan'));
        const device = ipAddress === null ? {} : { ipAddress };
        let payload = body['payload'];
        if (payload === undefined || payload === null) {
          // No payload: the one valid now for the order named, else for the newest order waiting.
          const orderRef = optionalOrderRef(body);
          const order = orderRef
            ? target.orders().find((o) => o.orderRef === orderRef)
            : target.orders().find((o) => o.status === 'pending' && !o.pickedUpBy);
          if (orderRef && !order) return actionAnswer(refusal('unknown'));
          if (order && order.status !== 'pending') return actionAnswer(refusal('ended'));
          if (order?.pickedUpBy) return actionAnswer(refusal('already-picked-up'));
          if (!order?.qr) return actionAnswer(refusal('no-qr'));
          payload = order.qr;
        } else if (typeof payload !== 'string' || payload.length > 300) {
          throw invalidParameters('payload must be the QR code text (a string).');
        }
        return actionAnswer(app.scan(payload as string, device), { payload });
      },
    },
    open: {
      post: (body) => {
        const token = body['autoStartToken'];
        if (typeof token !== 'string' || token === '' || token.length > 100) {
          throw invalidParameters('autoStartToken must be the token from the launch URL.');
        }
        const ipAddress = asBadRequest(() => checkIpAddress(body['ipAddress'], 'open'));
        return actionAnswer(
          app.open(ipAddress === null ? { autoStartToken: token } : { autoStartToken: token, ipAddress }),
        );
      },
    },
    identify: {
      post: (body) => {
        const risk = asBadRequest(() => checkRisk(body['risk'], 'identify'));
        return actionAnswer(app.identify(optionalOrderRef(body), { risk }));
      },
    },
    'wrong-code': { post: inAppAction((ref) => app.wrongCode(ref)) },
    cancel: { post: inAppAction((ref) => app.cancel(ref)) },
    'show-hint': {
      post: (body) => {
        const hint = asBadRequest(() => checkHintCode(body['hintCode'], 'show-hint'));
        return actionAnswer(app.showHint(hint, optionalOrderRef(body)));
      },
    },
    'fail-with': {
      post: (body) => {
        const hint = asBadRequest(() => checkHintCode(body['hintCode'], 'fail-with'));
        return actionAnswer(app.failWith(hint, optionalOrderRef(body)));
      },
    },
    'check-qr': {
      post: (body) => {
        const payload = body['payload'];
        if (typeof payload !== 'string' || payload.length > 300) {
          throw invalidParameters('payload must be the QR code text (a string).');
        }
        return actionAnswer(app.checkQr(payload));
      },
    },
    leaks: {
      maxBytes: MAX_LEAK_TEXT_BYTES,
      post: (body) => {
        const text = body['text'];
        if (typeof text !== 'string') throw invalidParameters('text must be a string: the page or answer to search.');
        return [200, { leaks: app.findLeaks(text) }];
      },
    },
  };
}

/** Equal strings in time that does not depend on where they differ. */
function sameSecret(candidate: string, expectedDigest: Buffer): boolean {
  return timingSafeEqual(createHash('sha256').update(candidate).digest(), expectedDigest);
}

/**
 * A browser that says where a request comes from must say "this very origin"; a page on another
 * site gets 403 even though it cannot read the answer, because the request itself acts.
 */
function checkSameOrigin(request: Request): void {
  const origin = request.headers.get('origin');
  if (origin !== null && origin !== new URL(request.url).origin) {
    throw new HttpError(403, 'forbidden', 'Cross-origin requests are not allowed.');
  }
  const site = request.headers.get('sec-fetch-site');
  if (site !== null && site !== 'same-origin' && site !== 'none') {
    throw new HttpError(403, 'forbidden', 'Cross-site requests are not allowed.');
  }
}

/**
 * The app API as a Fetch handler. It answers `${basePath}${secret}/<operation>`; anything else,
 * a wrong secret included, is 404.
 */
export function createAppApi(
  target: AppApiTarget,
  secret: string,
): (request: Request, basePath?: string) => Promise<Response> {
  const routes = operations(target);
  const secretDigest = createHash('sha256').update(secret).digest();

  return async function appApi(request, basePath = '/') {
    try {
      if (typeof basePath !== 'string' || !basePath.startsWith('/')) {
        throw new TypeError('appApi: basePath must be a path that starts with "/"');
      }
      const base = basePath.endsWith('/') ? basePath : `${basePath}/`;
      const { pathname } = new URL(request.url);
      const parts = pathname.startsWith(base) ? pathname.slice(base.length).split('/') : [];
      const [given = '', name = ''] = parts;
      const route = parts.length === 2 && Object.hasOwn(routes, name) ? routes[name] : undefined;
      // The secret is compared even for unknown operations, so timing tells nothing either way.
      if (!sameSecret(given, secretDigest) || !route) throw new HttpError(404, 'notFound', 'No such operation.');
      checkSameOrigin(request);

      let answer: Answer;
      if ((request.method === 'GET' || request.method === 'HEAD') && route.get) {
        answer = route.get();
      } else if (request.method === 'POST' && route.post) {
        if (!isJsonContentType(request.headers)) {
          throw new HttpError(415, 'unsupportedMediaType', 'Send the body as application/json.');
        }
        answer = route.post(await readJsonObject(request, route.maxBytes ?? MAX_BODY_BYTES, { emptyIsObject: true }));
      } else {
        const allow = [route.get ? 'GET, HEAD' : null, route.post ? 'POST' : null].filter((m) => m !== null).join(', ');
        throw new HttpError(405, 'methodNotAllowed', `Use ${allow}.`, { Allow: allow });
      }
      return jsonResponse(answer[0], answer[1]);
    } catch (error) {
      if (error instanceof HttpError) return errorResponse(error);
      if (error instanceof TypeError && error.message.startsWith('appApi:')) throw error;
      console.error('bankid-login simulator: unexpected error in the app API:', error);
      return jsonResponse(500, { errorCode: 'internalError', details: 'Unexpected error in the app API.' });
    }
  };
}

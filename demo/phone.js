// demo/phone.js — the "Phone (simulated BankID app)" panel and the error injection of the demo page.
//
// Talks to the simulator's app API (simulator/README.md), which the demo server mounts on this
// origin under a path with a secret made for this run; the server writes that path into the page
// (<meta name="bankid-demo-app">). JSON in and out:
//   GET  orders     polled every second: the simulator's orders and the injection
//   POST scan       "Scan QR code": {orderRef} of the page's order; the simulator scans the code
//                   valid right now for it, i.e. what the page shows
//   POST open       "Open BankID on this device": the autostart token of the last `bankid-launch`
//                   (the demo prevents the real launch unless "Really open the BankID app" is checked)
//   POST identify | wrong-code | cancel   for the order the app holds
//   POST inject     the "BankID errors" form
// Every action is also written to the event log (a `demo-log` event that demo.js shows).
// With BANKID_ENV=test there is no simulator: the API answers 404 and the panel says so.

const $ = (id) => document.getElementById(id);
const POLL_MS = 1000;
/** Where this run's app API is, e.g. /demo/app/<secret>/ */
const APP_API = document.querySelector('meta[name="bankid-demo-app"]')?.getAttribute('content') ?? '';

const ui = {
  modeLine: $('mode-line'),
  modeHint: $('mode-hint'),
  off: $('phone-off'),
  on: $('phone-on'),
  app: $('phone-app'),
  text: $('phone-text'),
  scan: $('phone-scan'),
  open: $('phone-open'),
  launch: $('phone-launch'),
  identify: $('phone-identify'),
  wrongCode: $('phone-wrong-code'),
  cancel: $('phone-cancel'),
  result: $('phone-result'),
  orders: $('orders'),
  ordersEmpty: $('orders-empty'),
  pickupSeconds: $('pickup-seconds'),
  injectForm: $('inject-form'),
  injectError: $('inject-error'),
  injectCalls: $('inject-calls'),
  injectCount: $('inject-count'),
  injectDelay: $('inject-delay'),
  injectClear: $('inject-clear'),
  injectNow: $('inject-now'),
  injectOff: $('inject-off'),
};

/** @type {{orders: any[], injection: any, pickupTimeoutMs: number} | null} */
let view = null;
/** The last `bankid-launch` the element fired: {token, trigger}. */
let lastLaunch = null;
/** The order the page's element started last (bankid-start) and its flow: the phone prefers it. */
let pageOrderRef = null;
let pageFlow = null;
let busy = false;
let pollTimer = 0;

/** Sets text only when it changed, so the live region does not announce the same words again. */
function setText(element, text) {
  if (element.textContent !== text) element.textContent = text;
}

const short = (ref) => String(ref ?? '').slice(0, 8);
const log = (name, detail) => document.dispatchEvent(new CustomEvent('demo-log', { detail: { name, detail } }));

// ---------------------------------------------------------------------------------------------
// Talking to the phone API

async function call(method, path, body) {
  const init = { method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(`${APP_API}${path}`, init);
  let json;
  try {
    json = await response.json();
  } catch {
    json = null;
  }
  return { status: response.status, json };
}

let polling = null;
let pollAgain = false;
let stopped = false;

/** Refreshes the view now; one request at a time, then again every POLL_MS. */
function poll() {
  if (stopped) return Promise.resolve();
  if (polling) {
    pollAgain = true;
    return polling;
  }
  clearTimeout(pollTimer);
  polling = (async () => {
    try {
      const { status, json } = await call('GET', 'orders');
      if (status === 404 && json?.mode === 'test') {
        stopped = true;
        showTestMode();
        return;
      }
      if (status !== 200 || !json) throw new Error(`HTTP ${status}`);
      view = json;
      render();
    } catch {
      setText(ui.app, 'The demo server does not answer. Is `npm start` still running?');
      view = null;
      renderButtons();
    }
  })().finally(() => {
    polling = null;
    if (stopped) return;
    if (pollAgain) {
      pollAgain = false;
      void poll();
    } else {
      pollTimer = setTimeout(poll, POLL_MS);
    }
  });
  return polling;
}

function showTestMode() {
  ui.modeLine.textContent = "BankID's test environment (appapi2.test.bankid.com)";
  ui.modeHint.textContent = 'Log in with the BankID app and a test BankID.';
  // No simulated phone to hand the token to: let the element really open the BankID app.
  const reallyLaunch = $('really-launch');
  if (!reallyLaunch.checked) {
    reallyLaunch.checked = true;
    log('demo: really open the app = on (test environment)');
  }
  ui.off.hidden = false;
  ui.on.hidden = true;
  ui.injectForm.hidden = true;
  ui.injectOff.hidden = false;
  ui.injectNow.parentElement.hidden = true;
}

/** A phone action; the answer goes to the result line and the event log, then the view refreshes. */
async function act(label, path, body = {}) {
  if (busy) return;
  busy = true;
  renderButtons();
  try {
    const { status, json } = await call('POST', path, body);
    const ok = status === 200 && json?.ok;
    const what = ok ? describeOk(json) : (json?.message ?? json?.details ?? `HTTP ${status}`);
    ui.result.textContent = `${label}: ${what}`;
    ui.result.classList.toggle('refused', !ok);
    log(`phone: ${label}${ok ? '' : ' (refused)'}`, json ?? { status });
  } catch (error) {
    ui.result.textContent = `${label}: ${String(error)}`;
    ui.result.classList.add('refused');
  } finally {
    busy = false;
    await poll();
  }
}

function describeOk(answer) {
  const parts = [];
  if (answer.status === 'complete') parts.push('done, the order is complete');
  else if (answer.status === 'failed') parts.push(`the order failed (${answer.hintCode})`);
  else if (answer.hintCode) parts.push(`the app shows the order (${answer.hintCode})`);
  if (answer.wrongCodes) parts.push(`wrong codes: ${answer.wrongCodes} of 3`);
  if (answer.replaced?.length) parts.push(`replaced ${answer.replaced.length} older order(s) (hint cancelled)`);
  return parts.join('; ') || 'ok';
}

// ---------------------------------------------------------------------------------------------
// Rendering

/**
 * The order waiting for a scan or an open, and the order the app holds: the page's own order when
 * it is in that state, else the newest such order (another tab, or a page that was reloaded).
 */
function current() {
  const orders = view?.orders ?? [];
  const pick = (test) => orders.find((o) => o.orderRef === pageOrderRef && test(o)) ?? orders.find(test) ?? null;
  return {
    waiting: pick((o) => o.status === 'pending' && !o.pickedUpBy),
    inApp: pick((o) => o.status === 'pending' && o.pickedUpBy),
  };
}

function render() {
  const { waiting, inApp } = current();
  if (inApp) {
    const how = inApp.pickedUpBy === 'qr' ? 'scanned' : 'opened on this device';
    setText(
      ui.app,
      `${inApp.type === 'sign' ? 'Sign' : 'Identify'}? Order ${short(inApp.orderRef)}… (${how}, ${inApp.hintCode})`,
    );
    setText(ui.text, inApp.userVisibleText ? `“${inApp.userVisibleText}”` : '');
    ui.text.hidden = !inApp.userVisibleText;
  } else {
    setText(
      ui.app,
      waiting ? `Order ${short(waiting.orderRef)}… waits for a scan or an open.` : 'No order in the app.',
    );
    ui.text.hidden = true;
  }
  ui.pickupSeconds.textContent = String(Math.round((view?.pickupTimeoutMs ?? 30000) / 1000));
  renderLaunch();
  renderOrders();
  renderInjection(view?.injection);
  renderButtons();
}

function renderButtons() {
  const { waiting, inApp } = current();
  // The page shows no QR code for its this-device order; there is nothing to scan.
  const noCodeShown = waiting?.orderRef === pageOrderRef && pageFlow === 'this-device';
  ui.scan.disabled = busy || !waiting || noCodeShown;
  // Open works while the launched order waits (or was opened before: re-opening is harmless).
  const launched = lastLaunch && (view?.orders ?? []).find((o) => o.autoStartToken === lastLaunch.token);
  ui.open.disabled = busy || !launched || launched.status !== 'pending' || launched.pickedUpBy === 'qr';
  for (const button of [ui.identify, ui.wrongCode, ui.cancel]) button.disabled = busy || !inApp;
}

function renderLaunch() {
  ui.launch.textContent = lastLaunch
    ? `Open uses the last launch (${lastLaunch.trigger}): token ${short(lastLaunch.token)}…`
    : 'Open: waiting for the element to launch the app (this-device flow).';
}

function renderOrders() {
  const orders = (view?.orders ?? []).slice(0, 6);
  const now = Date.now();
  ui.orders.replaceChildren(
    ...orders.map((o) => {
      const item = document.createElement('li');
      item.className = `order ${o.status}`;
      const head = document.createElement('div');
      head.className = 'order-head';
      const ref = document.createElement('code');
      ref.textContent = `${short(o.orderRef)}…`;
      const status = document.createElement('span');
      status.className = 'order-status';
      status.textContent = o.status;
      head.append(ref, ' ', o.type, ' ', status);
      const facts = document.createElement('div');
      facts.className = 'order-facts';
      const by =
        o.pickedUpBy === 'qr'
          ? 'picked up by QR'
          : o.pickedUpBy === 'autostart'
            ? 'picked up by autostart'
            : 'not picked up';
      const age = Math.max(0, Math.round((now - o.createdAt) / 1000));
      facts.textContent = [o.hintCode, by, `${age} s`].filter(Boolean).join(' · ');
      item.append(head, facts);
      return item;
    }),
  );
  ui.ordersEmpty.hidden = orders.length > 0;
}

const ERROR_NAMES = {
  maintenance: 'maintenance (503)',
  internalError: 'internalError (500)',
  tooManyRequests: 'tooManyRequests (429)',
};

function renderInjection(injection) {
  if (!injection) return;
  if (!injection.active) {
    ui.injectNow.textContent = 'none';
    return;
  }
  const parts = [];
  if (injection.error) parts.push(ERROR_NAMES[injection.error] ?? injection.error);
  if (injection.delayMs) parts.push(`answers ${injection.delayMs / 1000} s late`);
  const all = ['auth', 'sign', 'collect', 'cancel'].every((e) => injection.endpoints.includes(e));
  parts.push(all ? 'every call' : injection.endpoints.join(', '));
  parts.push(injection.count === null ? 'until cleared' : `${injection.count} more`);
  ui.injectNow.textContent = parts.join(' · ');
}

// ---------------------------------------------------------------------------------------------
// Wiring

// The simulator scans the code valid right now for that order: what the page shows.
ui.scan.addEventListener('click', () => act('scan QR code', 'scan', { orderRef: current().waiting?.orderRef }));
ui.open.addEventListener(
  'click',
  () => lastLaunch && act('open on this device', 'open', { autoStartToken: lastLaunch.token }),
);
ui.identify.addEventListener('click', () => act('identify', 'identify', { orderRef: current().inApp?.orderRef }));
ui.wrongCode.addEventListener('click', () =>
  act('wrong security code', 'wrong-code', { orderRef: current().inApp?.orderRef }),
);
ui.cancel.addEventListener('click', () => act('cancel in app', 'cancel', { orderRef: current().inApp?.orderRef }));

// A new order makes the previous launch token useless; a launch of this-device orders follows.
document.addEventListener('bankid-start', (event) => {
  lastLaunch = null;
  pageOrderRef = event.detail?.orderRef ?? null;
  pageFlow = event.detail?.flow ?? null;
  renderLaunch();
  renderButtons();
  void poll();
});
document.addEventListener('bankid-launch', (event) => {
  let token;
  try {
    token = new URL(event.detail.url).searchParams.get('autostarttoken');
  } catch {
    token = null;
  }
  if (!token) return;
  lastLaunch = { token, trigger: event.detail.trigger };
  renderLaunch();
  void poll();
});

const ENDPOINTS = { all: ['auth', 'sign', 'collect', 'cancel'], collect: ['collect'], start: ['auth', 'sign'] };

async function inject(setting, label) {
  try {
    const { status, json } = await call('POST', 'inject', setting);
    if (status !== 200) throw new Error(json?.details ?? `HTTP ${status}`);
    renderInjection(json);
    log(`demo: BankID errors ${label}`, json);
  } catch (error) {
    ui.injectNow.textContent = `could not apply: ${error.message}`;
  }
}

ui.injectForm.addEventListener('submit', (event) => {
  event.preventDefault();
  void inject(
    {
      error: ui.injectError.value || null,
      delayMs: Number(ui.injectDelay.value),
      count: ui.injectCount.value ? Number(ui.injectCount.value) : null,
      endpoints: ENDPOINTS[ui.injectCalls.value],
    },
    'applied',
  );
});
ui.injectClear.addEventListener('click', () => {
  ui.injectError.value = '';
  ui.injectDelay.value = '0';
  void inject({ error: null, delayMs: 0 }, 'cleared');
});

renderButtons();
void poll();

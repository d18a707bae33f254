// demo/demo.js — wiring of the demo page (demo/index.html).
//
// - Language / flow / operation: set the element's `lang`, `flow` and `operation` attributes
//   (and the language and heading of the card around it).
// - "Really open the BankID app" (off by default): while off, every `bankid-launch` is
//   preventDefault()ed and the URL it would have opened is logged instead.
// - Event log: every bankid-* event with its time and JSON detail, written with textContent only.
// - Reset: removes the element and inserts a fresh one with the current settings.
// The phone panel and the error injection live in demo/phone.js.

const EVENTS = ['bankid-start', 'bankid-launch', 'bankid-status', 'bankid-complete', 'bankid-cancel', 'bankid-failed'];
const MAX_LOG_ENTRIES = 300;

const $ = (id) => document.getElementById(id);
const slot = $('element-slot');
const langSelect = $('lang');
const flowSelect = $('flow');
const operationSelect = $('operation');
const reallyLaunch = $('really-launch');
const stateLine = $('state');
const log = $('log');
const logEmpty = $('log-empty');

const element = () => slot.querySelector('bankid-login');

// ---------------------------------------------------------------------------------------------
// Event log

function timeStamp(date = new Date()) {
  const pad = (n, w = 2) => String(n).padStart(w, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

function toJson(value) {
  try {
    return JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Adds an entry at the top of the log. `kind` is 'event' or 'demo'; all text goes in via textContent. */
function addLogEntry(kind, name, detail, note) {
  const item = document.createElement('li');
  item.className = `log-entry ${kind}`;

  const head = document.createElement('div');
  head.className = 'log-head';
  const time = document.createElement('time');
  time.textContent = timeStamp();
  const label = document.createElement('code');
  label.className = 'log-name';
  label.textContent = name;
  head.append(time, ' ', label);
  if (note) {
    const extra = document.createElement('span');
    extra.className = 'log-note';
    extra.textContent = note;
    head.append(' ', extra);
  }
  item.append(head);

  if (detail !== undefined) {
    const pre = document.createElement('pre');
    pre.textContent = toJson(detail);
    item.append(pre);
  }

  log.prepend(item);
  while (log.children.length > MAX_LOG_ENTRIES) log.lastElementChild.remove();
  logEmpty.hidden = true;
}

$('clear-log').addEventListener('click', () => {
  log.replaceChildren();
  logEmpty.hidden = false;
});

// The events bubble and are composed, so one listener per name on the document sees every element,
// also the fresh one after a reset.
for (const name of EVENTS) {
  document.addEventListener(name, (event) => {
    let note;
    if (name === 'bankid-launch') {
      if (reallyLaunch.checked) {
        note = 'opening the app';
      } else {
        event.preventDefault();
        note = 'prevented by the demo (use "Open BankID on this device" in the phone panel)';
      }
    }
    addLogEntry('event', name, event.detail, note);
    showState();
  });
}

// The phone panel (phone.js) reports its actions here: `demo-log` events with {name, detail}.
document.addEventListener('demo-log', (event) => {
  addLogEntry('demo', event.detail?.name ?? 'demo', event.detail?.detail);
});

// ---------------------------------------------------------------------------------------------
// Element state readout (the element's read-only `state` and `hintCode` properties)

function showState() {
  const el = element();
  if (!el || el.state === undefined) {
    stateLine.textContent = 'state: –';
    return;
  }
  stateLine.textContent = `state: ${el.state}` + (el.hintCode ? ` · hintCode: ${el.hintCode}` : '');
}
setInterval(showState, 500);

// ---------------------------------------------------------------------------------------------
// Element attributes

const HEADINGS = {
  sv: { auth: 'Logga in', sign: 'Signera' },
  en: { auth: 'Log in', sign: 'Sign' },
};

function applySettings(el) {
  el.setAttribute('api', '/api/bankid');
  el.setAttribute('lang', langSelect.value);
  el.setAttribute('flow', flowSelect.value);
  el.setAttribute('operation', operationSelect.value);
  const card = slot.closest('.login-card');
  card.lang = langSelect.value;
  $('login-title').textContent = HEADINGS[langSelect.value]?.[operationSelect.value] ?? '';
}

for (const select of [langSelect, flowSelect, operationSelect]) {
  select.addEventListener('change', () => {
    const el = element();
    if (el) applySettings(el);
    addLogEntry('demo', `demo: ${select.name} = ${select.value}`);
  });
}

reallyLaunch.addEventListener('change', () => {
  addLogEntry('demo', `demo: really open the app = ${reallyLaunch.checked ? 'on' : 'off'}`);
});

$('reset').addEventListener('click', () => {
  // Cancel first: a fresh element inserted at once would otherwise pick the live order up again
  // (that hand-over is what keeps orders alive when a framework re-creates the element).
  element()?.cancel();
  element()?.remove();
  const fresh = document.createElement('bankid-login');
  applySettings(fresh);
  slot.append(fresh);
  addLogEntry('demo', 'demo: element reset');
  showState();
});

// ---------------------------------------------------------------------------------------------
// Start-up

applySettings(element());

// Tell the visitor when the bundle has not been built (the element never gets defined).
const defined = customElements.whenDefined('bankid-login').then(() => true);
const timeout = new Promise((resolve) => setTimeout(() => resolve(false), 3000));
Promise.race([defined, timeout]).then((ok) => {
  $('bundle-missing').hidden = ok;
  showState();
});

// demo/demo.js — wiring of the demo page (demo/index.html).
//
// - Scenario select: loads the list from GET /demo/scenario and saves the choice with
//   POST /demo/scenario (the fake backend keeps it for the whole demo process).
// - Language / flow / operation: set the element's `lang`, `flow` and `operation` attributes.
// - "Really open the BankID app" (off by default): while off, every `bankid-launch` is
//   preventDefault()ed and the URL it would have opened is logged instead.
// - Event log: every bankid-* event with its time and JSON detail, written with textContent only.
// - Reset: removes the element and inserts a fresh one with the current settings.

const EVENTS = ['bankid-start', 'bankid-launch', 'bankid-status', 'bankid-complete', 'bankid-cancel', 'bankid-failed'];
const MAX_LOG_ENTRIES = 300;

const $ = (id) => document.getElementById(id);
const slot = $('element-slot');
const scenarioSelect = $('scenario');
const scenarioDescription = $('scenario-description');
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
        note = 'prevented by the demo; it would have opened the URL below';
      }
    }
    addLogEntry('event', name, event.detail, note);
    showState();
  });
}

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

function applySettings(el) {
  el.setAttribute('api', '/api/bankid');
  el.setAttribute('lang', langSelect.value);
  el.setAttribute('flow', flowSelect.value);
  el.setAttribute('operation', operationSelect.value);
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
  element()?.remove();
  const fresh = document.createElement('bankid-login');
  applySettings(fresh);
  slot.append(fresh);
  addLogEntry('demo', 'demo: element reset');
  showState();
});

// ---------------------------------------------------------------------------------------------
// Scenario (kept by the fake backend)

let scenarios = [];

function describeScenario() {
  const current = scenarios.find((s) => s.name === scenarioSelect.value);
  scenarioDescription.textContent = current ? current.description : '';
}

async function loadScenarios() {
  try {
    const response = await fetch('/demo/scenario', { credentials: 'same-origin' });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const data = await response.json();
    scenarios = Array.isArray(data.scenarios) ? data.scenarios : [];
    scenarioSelect.replaceChildren(
      ...scenarios.map((s) => {
        const option = document.createElement('option');
        option.value = s.name;
        option.textContent = s.label;
        return option;
      }),
    );
    scenarioSelect.value = data.name;
    describeScenario();
  } catch (error) {
    addLogEntry('demo', 'demo: could not load the scenarios', { error: String(error) });
  }
}

scenarioSelect.addEventListener('change', async () => {
  describeScenario();
  const name = scenarioSelect.value;
  try {
    const response = await fetch('/demo/scenario', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name }),
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    addLogEntry('demo', `demo: scenario = ${name}`);
  } catch (error) {
    addLogEntry('demo', 'demo: could not save the scenario', { error: String(error) });
  }
});

// ---------------------------------------------------------------------------------------------
// Start-up

applySettings(element());
loadScenarios();

// Tell the visitor when the bundle has not been built (the element never gets defined).
const defined = customElements.whenDefined('bankid-login').then(() => true);
const timeout = new Promise((resolve) => setTimeout(() => resolve(false), 3000));
Promise.race([defined, timeout]).then((ok) => {
  $('bundle-missing').hidden = ok;
  showState();
});

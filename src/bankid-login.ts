import { html, LitElement, nothing, type PropertyDeclarations, type PropertyValues, type TemplateResult } from 'lit';
import { updateWhenLocaleChanges } from '@lit/localize';
import type { Flow } from './events.js';
import { isLive, type OrderState, type Snapshot } from './flow.js';
import { applyLocale } from './localization.js';
import * as sv from './generated/locales/sv.js';
import {
  helpContent,
  labels,
  messageText,
  panelTexts,
  type MessageContext,
  type Operation,
  type TextOverrides,
} from './messages.js';
import { OrderController } from './order-controller.js';
import { currentPlatform, type Platform } from './platform.js';
import { qrSymbol, type QrSymbol } from './qr.js';
import { QrVisibility } from './qr-visibility.js';
import { styles } from './styles.js';

export type FlowChoice = 'auto' | Flow;

/**
 * Log in or sign with Swedish BankID: opens the BankID app on this device or shows an animated QR code
 * for another device, polls the host backend and explains every outcome, in Swedish or English.
 *
 * @summary The browser side of a BankID login, for any page.
 * @tagname bankid-login
 *
 * @fires {BankIdStartEvent} bankid-start - The backend created an order. Detail `BankIdStartDetail`: `{ orderRef, flow }`
 * @fires {BankIdLaunchEvent} bankid-launch - About to open the BankID app (cancelable). Detail `BankIdLaunchDetail`: `{ url, trigger }`
 * @fires {BankIdStatusEvent} bankid-status - The shown status changed. Detail `BankIdStatusDetail`: `{ status, hintCode, message }`
 * @fires {BankIdCompleteEvent} bankid-complete - The order is complete. Detail `BankIdCompleteDetail`: `{ orderRef, response }`
 * @fires {BankIdCancelEvent} bankid-cancel - The user cancelled. Detail `BankIdCancelDetail`: `{ orderRef, source }`
 * @fires {BankIdFailedEvent} bankid-failed - The order failed or could not start. Detail `BankIdFailedDetail`: `{ code, message, retryable }`
 *
 * @csspart card - The box around everything.
 * @csspart message - The status line (also the polite live region).
 * @csspart qr - The QR code.
 * @csspart steps - The numbered steps beside the QR code.
 * @csspart button - Every button; each also has a part named after its action (below).
 * @csspart begin - The begin button ("Logga in med BankID").
 * @csspart launch - The open-the-app button ("Starta BankID-appen").
 * @csspart retry - Try again.
 * @csspart cancel - Cancel.
 * @csspart switch-other-device - The switch to BankID on another device.
 * @csspart switch-this-device - The switch to BankID on this computer or device.
 * @csspart continue-here - Takes the order back from the tab that took it over ("Fortsätt här").
 * @csspart more-time - Gives the QR code another 3 minutes ("Mer tid"), shown before its time runs out.
 * @csspart larger-qr - Shows the QR code larger ("Större QR-kod"), or back at its normal size ("Mindre QR-kod").
 * @csspart help-toggle - The button that opens the help.
 * @csspart help - The help section.
 *
 * @cssprop --bankid-login-accent - Background of the main button (default #183e4f).
 * @cssprop --bankid-login-on-accent - Text on the main button (default #fff).
 * @cssprop --bankid-login-background - Background of the card (default transparent).
 * @cssprop --bankid-login-border - Border of the card and the help section.
 * @cssprop --bankid-login-radius - Corner radius of the card (default 12px).
 * @cssprop --bankid-login-focus - Focus ring colour (default #1a73e8).
 */
export class BankIdLogin extends LitElement {
  static override styles = styles;

  // Here rather than in decorators: the bundle then carries neither Lit's decorators nor tsc's
  // helper (about 480 B gzip). Each property's documentation stays on its field below.
  static override properties: PropertyDeclarations = {
    api: {},
    flow: {},
    operation: {},
    // As on any element: el.lang = 'en' writes the attribute, and without one it reads ''.
    lang: {
      reflect: true,
      converter: {
        fromAttribute: (value: string | null) => value ?? '',
        toAttribute: (value: string) => value || null,
      },
    },
    launchButtonDelay: { type: Number, attribute: 'launch-button-delay' },
    startOnConnect: {
      attribute: 'start-on-connect',
      converter: { fromAttribute: (value: string | null) => value !== null && value !== 'false' },
    },
    returnUrl: { attribute: 'return-url' },
    messages: { converter: { fromAttribute: parseMessages } },
    headers: { attribute: false },
    platform: { attribute: false },
    // Internal state (attribute: false too, so the manifest does not list it).
    helpOpen: { state: true, attribute: false },
    qrLarge: { state: true, attribute: false },
  };

  /** Registers the element; a second call (or another copy of the bundle) is harmless. */
  static define(tag = 'bankid-login', registry: CustomElementRegistry = customElements): void {
    const existing = registry.get(tag);
    if (!existing) registry.define(tag, this);
    else if (existing !== this)
      console.warn(`<${tag}> is already defined by another copy of bankid-login; using that one.`);
  }

  /** Base URL of the host backend's endpoints (`{api}/auth`, `/sign`, `/collect`, `/cancel`). Required. */
  api = '';

  /** The flow an order starts in: `auto` (phones and tablets open the app, computers show the QR code), `this-device` or `other-device`. */
  flow: FlowChoice = 'auto';

  /** `auth` (log in) or `sign`. */
  operation: Operation = 'auth';

  /** `sv` or `en` (region suffixes accepted); otherwise the nearest `[lang]`, else Swedish. */
  override lang = '';

  /** Milliseconds after the automatic try before the open-the-app button shows. */
  launchButtonDelay = 5000;

  /** Begin as soon as the element is connected, instead of showing the begin button. */
  startOnConnect = false;

  /** Where the BankID app returns on iOS; must be on this origin. Defaults to the page's URL. */
  returnUrl = '';

  /**
   * The page's own wording for texts of this element, by id: `{ "label-begin": "Logga in på Mina
   * sidor" }`. Plain text, in the page's language; as an attribute, JSON. Texts with a link and the
   * help cannot be reworded. The ids are the type `RewordableText`.
   */
  messages: TextOverrides = {};

  /** Extra request headers for the backend, e.g. a CSRF token. */
  headers: Record<string, string> = {};

  /** The device and browser, detected from the user agent. Replaceable, mainly for tests. */
  platform: Platform = currentPlatform();

  private helpOpen = false;
  private qrLarge = false;

  private readonly order = new OrderController(this, () => ({
    api: this.api,
    operation: this.orderOperation,
    headers: this.headers ?? {},
    // A string from a framework binding ("3000") counts as its number.
    launchButtonDelay: Number.isFinite(Number(this.launchButtonDelay))
      ? Math.max(0, Number(this.launchButtonDelay))
      : 5000,
    platform: this.platform,
    returnUrl: this.resolvedReturnUrl(),
  }));

  private readonly qrVisibility = new QrVisibility(this);
  private readonly langObserver = new MutationObserver(() => this.requestUpdate());
  /** Where focus goes after the next render, when the focused button goes away by design. */
  private focusNext: (() => HTMLElement | SVGElement | null) | null = null;
  private previousState: OrderState = 'idle';
  private appliedLang = '';
  private focusWasInside = false;
  /** The operation of the current order: changing the attribute mid-order affects the next one. */
  private orderOperation: Operation = 'auth';
  private qrCache: { payload: string; symbol: QrSymbol } | null = null;
  private warnedReturnUrl = '';

  constructor() {
    super();
    updateWhenLocaleChanges(this); // renders again when the language changes
  }

  /** Where the order is: `idle`, `starting`, `waiting`, `signing`, `complete`, `failed` or `cancelled`. */
  get state(): OrderState {
    return this.order.snapshot.state;
  }

  /** The last hint or error code, or null. */
  get hintCode(): string | null {
    return this.order.snapshot.hintCode;
  }

  /**
   * Begins an order (in the given flow, else the `flow` attribute's). Does nothing while one is live.
   * Settles when the order is created or has failed to start; rejects only without `api`.
   */
  start(flow?: FlowChoice): Promise<void> {
    if (!this.api) {
      console.error('<bankid-login>: set the `api` attribute to your backend before starting.');
      return Promise.reject(new Error('bankid-login: no api'));
    }
    if (!isLive(this.state)) this.orderOperation = this.currentOperation;
    return this.order.start(this.resolveFlow(flow ?? this.flow));
  }

  /** Cancels the live order. */
  cancel(): void {
    this.order.cancel();
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.langObserver.observe(document.documentElement, { attributes: true, attributeFilter: ['lang'], subtree: true });
    this.autoBegin();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.langObserver.disconnect();
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    // Only a change of this element's own language switches the page's locale, so two elements
    // that disagree (unsupported) settle instead of re-rendering each other forever.
    const lang = this.resolvedLang();
    if (lang !== this.appliedLang) {
      this.appliedLang = lang;
      applyLocale(lang);
    }
    if (this.isConnected && (changed.has('api') || changed.has('startOnConnect'))) this.autoBegin();
    this.focusWasInside = this.shadowRoot?.activeElement != null;
  }

  protected override updated(): void {
    const now = this.order.snapshot.state;
    const focusNext = this.focusNext;
    this.focusNext = null;
    if (focusNext) {
      focusNext()?.focus();
    } else if (now !== this.previousState && (now === 'failed' || now === 'cancelled')) {
      if (this.focusIsFree()) this.renderRoot.querySelector<HTMLButtonElement>('[data-action="retry"]')?.focus();
    } else if (this.focusWasInside && this.focusLost()) {
      // The focused control went away with its panel (Begin, a switch, the code scanned): keep the
      // keyboard in the element, on the first control of the new panel, else on the status line.
      (
        this.renderRoot.querySelector<HTMLElement>('.card button:not(.reserved)') ??
        this.renderRoot.querySelector<HTMLElement>('.message')
      )?.focus();
    }
    this.previousState = now;
    this.qrVisibility.watch(this.renderRoot.querySelector('svg.qr'));
  }

  /**
   * Focus is on nothing, or in this element but not in its help (toggle or text): an ending may take
   * it to Try again. The page around us, or the help being read, keeps it (the live region says it).
   */
  private focusIsFree(): boolean {
    let active = document.activeElement;
    while (active?.shadowRoot?.activeElement && active !== this) active = active.shadowRoot.activeElement;
    if (active === this) return this.shadowRoot?.activeElement?.closest('.help-area') == null;
    return active === null || active === document.body;
  }

  /** Nothing inside has focus, or what has it is kept out of sight (it holds room only). */
  private focusLost(): boolean {
    const active = this.shadowRoot?.activeElement;
    return active == null || active.closest('.reserved') !== null;
  }

  /** A click on Begin or Try again: a failed start is already shown in the panel. */
  private begin(flow: Flow | undefined): void {
    this.start(flow).catch(() => undefined);
  }

  /** A saved order resumes (reload, return from the app); otherwise `start-on-connect` begins one. */
  private autoBegin(): void {
    if (!this.api || this.order.snapshot.state !== 'idle') return;
    this.orderOperation = this.currentOperation;
    if (this.order.resumeSaved()) return;
    if (this.startOnConnect) {
      this.order.startSoon(() => {
        if (this.startOnConnect && this.order.snapshot.state === 'idle') this.begin(undefined);
      });
    }
  }

  private get currentOperation(): Operation {
    return this.operation === 'sign' ? 'sign' : 'auth';
  }

  private resolveFlow(choice: string): Flow {
    if (choice === 'this-device' || choice === 'other-device') return choice;
    return this.platform.device === 'mobile' ? 'this-device' : 'other-device';
  }

  private resolvedLang(): 'sv' | 'en' {
    const lang = this.lang || closestLang(this);
    if (!lang) return 'sv';
    return /^sv(-|$)/i.test(lang) ? 'sv' : 'en';
  }

  private resolvedReturnUrl(): string {
    const page = location.href;
    if (!this.returnUrl) return page;
    try {
      const url = new URL(this.returnUrl, document.baseURI);
      if (url.origin === location.origin) return url.href;
    } catch {
      /* fall through to the warning */
    }
    if (this.warnedReturnUrl !== this.returnUrl) {
      this.warnedReturnUrl = this.returnUrl;
      console.warn(`<bankid-login>: return-url must be on this origin; using the page's URL instead.`);
    }
    return page;
  }

  protected override render(): TemplateResult {
    const snapshot = this.order.snapshot;
    const context: MessageContext = {
      flow: snapshot.flow,
      device: this.platform.device,
      operation: snapshot.state === 'idle' ? this.currentOperation : this.orderOperation,
    };
    return html`
      <div
        class="card ${isLive(snapshot.state) ? `live ${snapshot.flow}` : snapshot.state}"
        part="card"
        lang=${this.resolvedLang()}
      >
        <p class="message" id="message" part="message" role="status" tabindex="-1">
          ${this.statusLine(snapshot, context)}
        </p>
        ${this.panel(snapshot, context)} ${snapshot.state === 'complete' ? nothing : this.help()}
      </div>
    `;
  }

  /**
   * The one polite live region: the order's status, or what matters more for now, most urgent
   * first (the other tab, the connection, the time left, the app not opening, the code off screen).
   */
  private statusLine(snapshot: Snapshot, context: MessageContext): string | TemplateResult {
    switch (snapshot.state) {
      case 'idle':
        return snapshot.endedElsewhere ? panelTexts.endedElsewhere(this.orderOperation, this.messages) : '';
      case 'starting':
        return panelTexts.starting(this.messages);
      case 'waiting':
      case 'signing':
        if (snapshot.elsewhere) return messageText('other-tab', context, false, this.messages);
        if (snapshot.status === 'reconnecting') return messageText('reconnecting', context, false, this.messages);
        if (this.moreTimeShown(snapshot)) return messageText('qr-expiring', context, false, this.messages);
        if (snapshot.browserHint && snapshot.state === 'waiting') {
          return panelTexts.browserHint(this.platform.os, this.messages);
        }
        if (this.qrShown(snapshot) !== null && this.qrVisibility.partlyHidden) {
          return panelTexts.qrNotVisible(this.messages);
        }
        return snapshot.message
          ? messageText(snapshot.message, context, this.launchButtonShown(snapshot), this.messages)
          : '';
      case 'complete':
        return panelTexts.done(context.operation, this.messages);
      case 'cancelled':
        return messageText('RFA6', context, false, this.messages);
      case 'failed':
        return snapshot.failure ? messageText(snapshot.failure.message, context, false, this.messages) : '';
    }
  }

  /**
   * One template for every panel, so buttons that stay (Cancel from waiting to signing, the switch)
   * stay the same nodes and keep focus.
   */
  private panel(snapshot: Snapshot, context: MessageContext): TemplateResult | typeof nothing {
    const { state } = snapshot;
    if (state === 'complete') return nothing;
    if (snapshot.elsewhere) {
      return html`<div class="actions">
        ${this.button('continue-here', 'primary', labels.continueHere(this.messages), () => this.order.takeBack())}
      </div>`;
    }
    const live = isLive(state);
    const ended = state === 'failed' || state === 'cancelled';
    const qrPanel = live && snapshot.flow === 'other-device';
    const launch = this.launchButtonShown(snapshot);
    // The code, the open-the-app button or the progress indicator share one slot of fixed height,
    // so the buttons below never move under the user's pointer.
    const visual = qrPanel
      ? this.qrArea(snapshot)
      : live
        ? html`<div class="visual">
            ${launch ? this.button('launch', 'primary', labels.launch(context.device, this.messages), () => this.order.launch('button')) : nothing}
            ${launch ? nothing : html`<div class="progress" aria-hidden="true"></div>`}
          </div>`
        : nothing;
    return html`${state === 'cancelled' ? html`<p class="note" id="note">${panelTexts.cancelledHint(this.messages)}</p>` : nothing}
      ${visual}
      <div class="actions">
        ${state === 'idle' ? this.button('begin', 'primary', labels.begin(context.operation, this.messages), () => this.begin(undefined)) : nothing}
        ${
          ended
            ? this.button(
                'retry',
                'primary',
                labels.retry(this.messages),
                () => this.begin(snapshot.flow),
                // Focus lands here: a screen reader then reads what failed with the button, not only its name.
                state === 'cancelled' ? 'message note' : 'message',
              )
            : nothing
        }
        ${live ? this.button('cancel', 'secondary', labels.cancel(this.messages), () => this.cancel()) : nothing}
        ${state === 'signing' || state === 'idle' ? nothing : this.switchButton(snapshot.flow, context)}
      </div>`;
  }

  /**
   * The QR flow's slot: the code (or, until there is one and once it is scanned, the progress
   * indicator), the toggle that shows it larger, and the numbered steps beside it (below it where
   * the card is narrow). Once scanned, the toggle and steps keep their room, unseen, so the buttons
   * below do not move under the pointer.
   */
  private qrArea(snapshot: Snapshot): TemplateResult {
    const qr = this.qrShown(snapshot);
    const reserved = snapshot.state === 'signing' ? 'reserved' : '';
    const between = qr === null && snapshot.restarting && snapshot.state === 'waiting' && this.qrCache !== null;
    const offScreenBelow = this.qrVisibility.partlyHidden && this.qrVisibility.cutAbove && qr !== null;
    return html`<div class="visual">
      <div class="qr-area">
        <div class="qr-box ${this.qrLarge ? 'large' : ''}">
          ${
            qr !== null || between
              ? this.qr(qr, snapshot.status === 'reconnecting')
              : html`<div class="qr-placeholder"><div class="progress" aria-hidden="true"></div></div>`
          }
          ${
            offScreenBelow
              ? // The status line above is off the screen too: the same words where the eye is (said once, above).
                html`<p class="note" aria-hidden="true">${panelTexts.qrNotVisible(this.messages)}</p>`
              : nothing
          }
          ${
            // "Mer tid" takes the toggle's place while it is there: nothing below the code moves.
            this.moreTimeShown(snapshot)
              ? this.button('more-time', 'primary', labels.moreTime(this.messages), () => this.moreTime())
              : html`<button
                  type="button"
                  class="quiet ${reserved || (qr === null && !between ? 'reserved' : '')}"
                  part="button larger-qr"
                  data-action="larger-qr"
                  @click=${() => (this.qrLarge = !this.qrLarge)}
                >
                  ${this.qrLarge ? labels.smallerQr(this.messages) : labels.largerQr(this.messages)}
                </button>`
          }
        </div>
        <ol class="steps ${reserved}" part="steps">
          ${panelTexts.qrSteps(this.messages).map((text) => html`<li>${text}</li>`)}
        </ol>
      </div>
    </div>`;
  }

  /** The QR payload on show, or null. */
  private qrShown(snapshot: Snapshot): string | null {
    return snapshot.state === 'waiting' && !snapshot.elsewhere ? snapshot.qr : null;
  }

  private moreTimeShown(snapshot: Snapshot): boolean {
    return snapshot.timeWarning && snapshot.state === 'waiting' && !snapshot.elsewhere;
  }

  /** "Mer tid": the button goes away with the warning; focus goes to the toggle back in its place. */
  private moreTime(): void {
    this.focusNext = () =>
      this.renderRoot.querySelector<HTMLElement>('[data-action="larger-qr"]:not(.reserved)') ??
      this.renderRoot.querySelector<HTMLElement>('.message');
    this.order.moreTime();
  }

  private launchButtonShown(snapshot: Snapshot): boolean {
    return snapshot.state === 'waiting' && snapshot.flow === 'this-device' && snapshot.launchButton;
  }

  private switchButton(current: Flow, context: MessageContext): TemplateResult {
    const other: Flow = current === 'this-device' ? 'other-device' : 'this-device';
    const label =
      other === 'other-device'
        ? labels.toOtherDevice(this.messages)
        : labels.toThisDevice(context.device, this.messages);
    return this.button(`switch-${other}`, 'quiet', label, () => {
      if (!isLive(this.state)) this.orderOperation = this.currentOperation;
      void this.order.switchFlow(other);
    });
  }

  private button(
    action: string,
    kind: string,
    label: string,
    onClick: () => void,
    describedBy: string | null = null,
  ): TemplateResult {
    // The second click of a double click lands on whatever the first one brought: ignore it.
    const click = (event: MouseEvent) => {
      if (event.detail <= 1) onClick();
    };
    return html`<button
      type="button"
      class=${kind}
      part="button ${action}"
      data-action=${action}
      aria-describedby=${describedBy ?? nothing}
      @click=${click}
    >
      ${label}
    </button>`;
  }

  /**
   * `stale`: no fresh frame is coming while reconnecting, so the code is faded rather than offered.
   * `null`: a new order is on its way: the same node stays, blank, so focus and the off-screen
   * watch stay with it and nothing is announced.
   */
  private qr(payload: string | null, stale: boolean): TemplateResult {
    if (payload !== null && this.qrCache?.payload !== payload) this.qrCache = { payload, symbol: qrSymbol(payload) };
    const size = this.qrCache?.symbol.size ?? 45;
    const path = payload === null ? '' : (this.qrCache?.symbol.path ?? '');
    return html`<svg
      class="qr ${stale ? 'stale' : ''}"
      part="qr"
      tabindex="-1"
      role="img"
      aria-label=${labels.qr(this.messages)}
      viewBox="0 0 ${size} ${size}"
      shape-rendering="crispEdges"
    >
      <rect width=${size} height=${size} fill="#fff"></rect>
      <path d=${path} fill="#000"></path>
    </svg>`;
  }

  private help(): TemplateResult {
    return html`<div class="help-area">
      <button
        type="button"
        class="quiet"
        part="button help-toggle"
        data-action="help"
        aria-expanded=${this.helpOpen ? 'true' : 'false'}
        aria-controls="help"
        @click=${() => (this.helpOpen = !this.helpOpen)}
      >
        ${labels.help(this.messages)}
      </button>
      <section id="help" class="help" part="help" ?hidden=${!this.helpOpen}>
        ${this.helpOpen ? helpContent() : nothing}
      </section>
    </div>`;
  }
}

/**
 * The `messages` attribute: a JSON object of texts. Ids we do not have as plain text and values
 * that are not text are dropped with a console warning, so a typo in a CMS shows up where its
 * editor looks. (Our Swedish templates know every id; the linked texts there are not plain text.)
 */
function parseMessages(value: string | null): TextOverrides {
  if (!value) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    console.warn('<bankid-login>: the messages attribute is not JSON; using the standard texts.');
    return {};
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return {};
  const texts: TextOverrides = {};
  for (const [id, text] of Object.entries(parsed)) {
    if (typeof sv.templates[id as keyof typeof sv.templates] === 'string' && typeof text === 'string') {
      texts[id as keyof TextOverrides] = text;
    } else console.warn(`<bankid-login>: messages: ${JSON.stringify(id)} is not a text that can be reworded.`);
  }
  return texts;
}

/** The nearest `lang` above the element, crossing shadow roots. */
function closestLang(element: Element): string {
  let node: Element | null = element.parentElement ?? hostOf(element);
  while (node) {
    const lang = node.getAttribute('lang');
    if (lang) return lang;
    node = node.parentElement ?? hostOf(node);
  }
  return '';
}

function hostOf(element: Element): Element | null {
  const root = element.getRootNode();
  return root instanceof ShadowRoot ? root.host : null;
}

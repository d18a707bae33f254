import { css } from 'lit';

/**
 * Colours and fonts come from the host page by default, so the card fits light and dark pages alike.
 * Public custom properties used more than once are read once into private --_ variables.
 */
export const styles = css`
  :host {
    --_accent: var(--bankid-login-accent, #183e4f);
    --_border: var(--bankid-login-border, 1px solid color-mix(in srgb, currentColor 22%, transparent));
    --_focus: var(--bankid-login-focus, #1a73e8);
    display: block;
    box-sizing: border-box;
    max-width: 100%;
    font: inherit;
    color: inherit;
  }
  :host([hidden]) {
    display: none;
  }
  *,
  *::before,
  *::after {
    box-sizing: inherit;
  }
  [hidden] {
    display: none !important;
  }

  .card {
    position: relative;
    display: flex;
    flex-direction: column;
    align-items: stretch;
    gap: 0.75rem;
    padding: 1.25rem;
    background: var(--bankid-login-background, transparent);
    border: var(--_border);
    border-radius: var(--bankid-login-radius, 12px);
  }
  /* Live panels keep one height per flow (a 3-line status, a fixed slot), so nothing moves under the pointer. */
  .card.live .message {
    min-height: calc(3 * 1.45em);
  }
  .visual {
    display: flex;
    flex-direction: column;
    align-items: center;
    justify-content: center;
  }
  /* Room for the open-the-app button even when its label wraps in a narrow column. */
  .card.this-device .visual {
    min-height: 4.25rem;
  }
  .card.other-device .visual {
    min-height: 200px;
  }
  .visual > button {
    width: 100%;
  }

  .message {
    margin: 0;
    font-size: 1.0625rem;
    line-height: 1.45;
    font-weight: 600;
    text-align: center;
  }
  /* An empty live region stays in the accessibility tree (so its first message is announced), out of sight. */
  .message:empty {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip-path: inset(50%);
  }
  /* A failure explains at some length: easier to read at normal weight, lines starting at one edge. */
  .card.failed .message {
    font-weight: 400;
    text-align: start;
  }
  .note {
    margin: 0;
    line-height: 1.45;
    text-align: center;
  }

  /* The code and its steps side by side where the card is wide, the steps below where it is not. */
  .qr-area {
    display: flex;
    flex-wrap: wrap;
    justify-content: center;
    align-items: center;
    gap: 0.5rem 1.5rem;
    width: 100%;
  }
  .qr-box {
    display: flex;
    flex-direction: column;
    align-items: center;
    max-width: 100%;
  }
  .qr-box.large {
    flex-basis: 100%;
  }
  /* Never below 160 px (phones scan it from about 30 cm), never wider than the card: no sideways scrolling at 400 % zoom. */
  .qr,
  .qr-placeholder {
    display: block;
    width: 200px;
    min-width: 160px;
    max-width: 100%;
    margin: 0 auto;
  }
  .qr {
    height: auto;
    background: #fff;
    border-radius: 4px;
  }
  /* Larger, but never taller than the window: at 400 % zoom all of it must still fit on the screen. */
  .qr-box.large .qr,
  .qr-box.large .qr-placeholder {
    width: 100%;
    max-width: min(480px, calc(100vh - 2rem));
  }
  /* As tall as the larger-code toggle whose place it takes. */
  .qr-box > .primary {
    width: 100%;
  }
  .qr-box > .note {
    margin-top: 0.5rem;
  }
  .reserved {
    visibility: hidden;
  }
  .qr-placeholder {
    aspect-ratio: 1;
    display: grid;
    place-items: center;
  }
  .qr:focus {
    outline: none;
  }
  .qr:focus-visible {
    outline: 3px solid var(--_focus);
    outline-offset: 2px;
  }
  .steps {
    flex: 1 1 13rem;
    max-width: 26rem;
    margin: 0;
    padding-left: 1.5rem;
    line-height: 1.45;
  }
  .steps li + li {
    margin-top: 0.25rem;
  }
  .message:focus {
    outline: none;
  }

  .qr.stale {
    opacity: 0.15;
  }

  .progress {
    width: 1.75rem;
    height: 1.75rem;
    margin: 0.25rem auto;
    border-radius: 50%;
    border: 3px solid color-mix(in srgb, currentColor 20%, transparent);
    border-top-color: currentColor;
    /* Five turns, then it rests (WCAG 2.2.2: nothing moves for more than 5 s); the status line says what goes on. */
    animation: spin 0.9s linear 5;
  }
  @keyframes spin {
    to {
      transform: rotate(360deg);
    }
  }
  @media (prefers-reduced-motion: reduce) {
    .progress {
      animation: none;
      border-top-color: color-mix(in srgb, currentColor 20%, transparent);
      border-right-color: currentColor;
    }
  }

  .actions {
    display: flex;
    flex-direction: column;
    gap: 0.5rem;
  }

  button {
    font: inherit;
    min-height: 44px;
    padding: 0.625rem 1rem;
    border-radius: 8px;
    cursor: pointer;
    line-height: 1.2;
  }
  button:focus-visible,
  a:focus-visible {
    outline: 3px solid var(--_focus);
    outline-offset: 2px;
  }
  .primary {
    background: var(--_accent);
    color: var(--bankid-login-on-accent, #fff);
    border: 1px solid var(--_accent);
    font-weight: 600;
  }
  .primary:hover {
    filter: brightness(1.15);
  }
  .secondary {
    background: transparent;
    color: inherit;
    /* 60 % of the text colour: at least 3:1 against the page, light or dark (WCAG 1.4.11). */
    border: 1px solid color-mix(in srgb, currentColor 60%, transparent);
  }
  .secondary:hover {
    background: color-mix(in srgb, currentColor 8%, transparent);
  }
  .quiet {
    background: none;
    border: none;
    color: inherit;
    text-decoration: underline;
    text-underline-offset: 0.2em;
    padding: 0.5rem;
    align-self: center;
  }

  a {
    color: inherit;
    text-decoration: underline;
    text-underline-offset: 0.15em;
    font-weight: 600;
  }

  .help-area {
    display: flex;
    flex-direction: column;
  }
  .help {
    border-top: var(--_border);
    padding-top: 0.75rem;
    line-height: 1.45;
  }
  .help p,
  .help ul {
    margin: 0 0 0.625rem;
  }
  .help ul {
    padding-left: 1.25rem;
  }
  .help li + li {
    margin-top: 0.5rem;
  }
  .help h3 {
    font-size: 1rem;
    margin: 0.75rem 0 0.375rem;
  }

  /*
   * Forced colours (Windows contrast themes): the code keeps black on white with its white quiet zone,
   * or no phone can read it; every button keeps a border; focus uses the theme's highlight.
   */
  @media (forced-colors: active) {
    .qr {
      forced-color-adjust: none;
      background: #fff;
    }
    button,
    .quiet {
      border: 1px solid ButtonText;
    }
    button:focus-visible,
    a:focus-visible,
    .qr:focus-visible {
      outline: 3px solid Highlight;
    }
    .progress {
      border-color: GrayText;
      border-top-color: CanvasText;
    }
  }
`;

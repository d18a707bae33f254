import type { ReactiveController, ReactiveControllerHost } from 'lit';

/**
 * The code must be partly off the screen (or all on it again) this long before the note comes (or
 * goes): scrolling, and a screen reader moving through the page, pass by without a word.
 */
export const QR_VISIBILITY_DELAY = 1000;
/** Share of the code (with its quiet zone) that counts as all of it: a sliver of the margin may go. */
const WHOLE = 0.99;

/**
 * Watches whether the whole QR code is inside the viewport, for people who zoom in or use a
 * magnifier and cannot tell (CONTRACT §6, WCAG 1.4.10). Owns its observer and its one timer.
 */
export class QrVisibility implements ReactiveController {
  /** The code is shown, and part of it has been off the screen for QR_VISIBILITY_DELAY (not scrolled past). */
  partlyHidden = false;
  /** The part off the screen is its top (scrolled past): the status line above it is off too. */
  cutAbove = false;

  private observer: IntersectionObserver | null = null;
  private target: Element | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly host: ReactiveControllerHost) {
    host.addController(this);
  }

  hostDisconnected(): void {
    this.watch(null);
  }

  /** Follows the code now on the page (null: none). Never updates the host synchronously. */
  watch(target: Element | null): void {
    if (target === this.target) return;
    this.observer?.disconnect();
    clearTimeout(this.timer);
    this.target = target;
    this.partlyHidden = false;
    this.cutAbove = false;
    if (target === null || typeof IntersectionObserver !== 'function') return;
    this.observer ??= new IntersectionObserver((entries) => this.onChange(entries), {
      threshold: [0, 0.25, 0.5, 0.75, WHOLE, 1],
    });
    this.observer.observe(target);
  }

  private onChange(entries: IntersectionObserverEntry[]): void {
    const entry = entries[entries.length - 1];
    if (!entry || entry.target !== this.target) return;
    const top = entry.rootBounds?.top ?? 0;
    // Scrolled past whole is the user reading on below (the help, the page): nothing to say then. A
    // code wholly below the screen (zoomed in, content above it) still gets the note.
    const scrolledPast = entry.boundingClientRect.bottom <= top;
    const hidden = entry.intersectionRatio < WHOLE && !scrolledPast;
    const cutAbove = hidden && entry.boundingClientRect.top < top;
    clearTimeout(this.timer);
    if (hidden === this.partlyHidden) {
      if (cutAbove !== this.cutAbove) this.set(hidden, cutAbove);
      return;
    }
    this.timer = setTimeout(() => this.set(hidden, cutAbove), QR_VISIBILITY_DELAY);
  }

  private set(hidden: boolean, cutAbove: boolean): void {
    this.partlyHidden = hidden;
    this.cutAbove = cutAbove;
    this.host.requestUpdate();
  }
}

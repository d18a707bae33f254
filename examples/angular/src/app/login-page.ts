import { Component, CUSTOM_ELEMENTS_SCHEMA, inject } from '@angular/core';
import { Router, RouterLink } from '@angular/router';
import type { BankIdCompleteEvent, BankIdFailedEvent } from 'bankid-login';

@Component({
  selector: 'app-login-page',
  imports: [RouterLink],
  // Lets the template use <bankid-login>. Angular then checks the events' types ($event comes from
  // the element's event map) but no property binding: [headers]="42" compiles.
  schemas: [CUSTOM_ELEMENTS_SCHEMA],
  template: `
    <h1>Logga in</h1>
    <bankid-login
      api="/api/bankid"
      [headers]="headers"
      (bankid-complete)="onComplete($event)"
      (bankid-failed)="onFailed($event)"
    />
    <p><a routerLink="/om">Om inloggningen</a></p>
  `,
})
export class LoginPage {
  private readonly router = inject(Router);

  // Sent with every request to your backend (here from the page's <meta name="csrf-token">).
  protected readonly headers = {
    'X-CSRF-Token': document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content ?? '',
  };

  protected onComplete(event: BankIdCompleteEvent): void {
    // event.detail.response is what your backend's onComplete returned, e.g. { redirect: '/mina-sidor' }.
    console.info('logged in', event.detail.orderRef);
    void this.router.navigateByUrl('/mina-sidor');
  }

  protected onFailed(event: BankIdFailedEvent): void {
    // 'forbidden' here means the backend refused the request as cross-origin: see proxy.conf.json.
    console.warn('BankID failed:', event.detail.code);
  }
}

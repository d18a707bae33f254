import { Component } from '@angular/core';
import { RouterLink } from '@angular/router';

@Component({
  selector: 'app-about-page',
  imports: [RouterLink],
  template: `
    <h1>Om inloggningen</h1>
    <p>Du loggar in med BankID på den här datorn eller med Mobilt BankID.</p>
    <p><a routerLink="/">Till inloggningen</a></p>
  `,
})
export class AboutPage {}

@Component({
  selector: 'app-my-pages',
  imports: [RouterLink],
  template: `
    <h1>Mina sidor</h1>
    <p>Du är inloggad.</p>
    <p><a routerLink="/">Till inloggningen</a></p>
  `,
})
export class MyPages {}

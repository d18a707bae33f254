import 'bankid-login/define'; // registers <bankid-login> and its event types
import { bootstrapApplication } from '@angular/platform-browser';
import { provideBrowserGlobalErrorListeners } from '@angular/core';
import { provideRouter } from '@angular/router';
import { App } from './app/app';
import { routes } from './app/app.routes';

bootstrapApplication(App, { providers: [provideBrowserGlobalErrorListeners(), provideRouter(routes)] }).catch(
  (error: unknown) => console.error(error),
);

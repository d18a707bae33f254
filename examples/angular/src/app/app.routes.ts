import type { Routes } from '@angular/router';
import { LoginPage } from './login-page';
import { AboutPage, MyPages } from './pages';

export const routes: Routes = [
  { path: '', component: LoginPage },
  { path: 'om', component: AboutPage },
  { path: 'mina-sidor', component: MyPages },
];

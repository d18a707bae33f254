import 'bankid-login/define'; // registers <bankid-login>
import type {} from 'bankid-login/vue'; // types it in templates (vue-tsc, Volar)
import { createApp } from 'vue';
import { createRouter, createWebHistory } from 'vue-router';
import App from './App.vue';
import LoginPage from './LoginPage.vue';
import AboutPage from './AboutPage.vue';
import MyPages from './MyPages.vue';

const router = createRouter({
  history: createWebHistory(),
  routes: [
    { path: '/', component: LoginPage },
    { path: '/om', component: AboutPage },
    { path: '/mina-sidor', component: MyPages },
  ],
});

createApp(App).use(router).mount('#app');

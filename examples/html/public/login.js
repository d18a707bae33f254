// Runs before the bundle defines the element: what is set here is there when it starts.
const login = document.querySelector('bankid-login');

// Sent with every request to your backend (here from the page's <meta name="csrf-token">).
login.headers = { 'X-CSRF-Token': document.querySelector('meta[name="csrf-token"]').content };

login.addEventListener('bankid-complete', (event) => {
  // event.detail.response is what the backend's onComplete returned: { redirect: '/mina-sidor' }.
  location.assign(event.detail.response.redirect ?? '/mina-sidor');
});
login.addEventListener('bankid-failed', (event) => console.warn('BankID failed:', event.detail.code));

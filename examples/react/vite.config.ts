import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// Where your BankID backend listens (examples/server: node express.js → http://127.0.0.1:3000).
const backend = process.env['BANKID_BACKEND'] ?? 'http://127.0.0.1:3000';

export default defineConfig({
  plugins: [react()],
  server: {
    proxy: {
      // The object form, with changeOrigin: false (the default). The string shorthand
      // ('/api/bankid': backend) sets changeOrigin: true: the backend then gets Host 127.0.0.1:3000
      // while the browser's Origin is this dev server's, refuses every request as cross-origin
      // (403 forbidden), and the element shows "Ett okänt fel uppstod" (bankid-failed with code 'forbidden').
      '/api/bankid': { target: backend, changeOrigin: false },
    },
  },
  // `vite preview` serves the production build with the same proxy (preview.proxy defaults to server.proxy).
});

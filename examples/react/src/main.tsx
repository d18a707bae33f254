import 'bankid-login/define'; // registers <bankid-login>
import type {} from 'bankid-login/react'; // types it in TSX
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createBrowserRouter, RouterProvider } from 'react-router';
import { LoginPage } from './LoginPage';
import { AboutPage, MyPages } from './pages';

const router = createBrowserRouter([
  { path: '/', element: <LoginPage /> },
  { path: '/om', element: <AboutPage /> },
  { path: '/mina-sidor', element: <MyPages /> },
]);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <main>
      <RouterProvider router={router} />
    </main>
  </StrictMode>,
);

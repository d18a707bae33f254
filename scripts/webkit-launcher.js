// WTR launcher for WebKit (WebKitGTK's MiniBrowser) from Debian packages only:
//   apt-get install -y webkit2gtk-driver xvfb
// WebKitGTK has no headless mode, so this starts its own Xvfb (a free display via -displayfd), then
// WebKitWebDriver on a free local port, and hands both to @web/test-runner-webdriver's launcher.
// Both child processes are killed (by PID) when WTR stops the launcher.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { WebdriverLauncher } from '@web/test-runner-webdriver';

const MINIBROWSER = process.env.MINIBROWSER_PATH || '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';

const freePort = () =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

/** Starts Xvfb on the first free display; resolves ':N' once it is ready. */
function startXvfb(children) {
  return new Promise((resolve, reject) => {
    // -displayfd 3: Xvfb picks a free display and writes its number to fd 3 when ready, so
    // parallel runs do not collide on a fixed :99.
    const xvfb = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', '1280x1024x24', '-nolisten', 'tcp'], {
      stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
    });
    children.push(xvfb);
    let out = '';
    xvfb.stdio[3].on('data', (chunk) => {
      out += chunk;
      if (out.includes('\n')) resolve(`:${out.trim()}`);
    });
    xvfb.once('error', reject);
    xvfb.once('exit', (code) => reject(new Error(`Xvfb exited (${code}) before it was ready`)));
  });
}

async function waitForDriver(port, child) {
  let exited = false;
  child.once('exit', () => (exited = true));
  for (let i = 0; i < 100 && !exited; i++) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/status`);
      if (res.ok) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`WebKitWebDriver did not come up on port ${port}`);
}

class WebKitGtkLauncher extends WebdriverLauncher {
  constructor(options) {
    super(options);
    this.children = [];
  }

  async initialize(config, testFiles) {
    const display = process.env.WEBKIT_DISPLAY || (await startXvfb(this.children));
    const port = await freePort();
    const driver = spawn('WebKitWebDriver', [`--port=${port}`], {
      env: { ...process.env, DISPLAY: display },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    this.children.push(driver);
    await waitForDriver(port, driver);
    this.options = { ...this.options, hostname: '127.0.0.1', port, path: '/' };
    await super.initialize(config, testFiles);
    this.name = 'WebKit';
  }

  async stop() {
    try {
      await super.stop();
    } finally {
      for (const child of this.children.reverse()) {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      }
      this.children = [];
    }
  }
}

export function webkitLauncher() {
  return new WebKitGtkLauncher({
    logLevel: 'error',
    capabilities: {
      browserName: 'MiniBrowser',
      // webdriverio 9 asks for WebDriver BiDi (webSocketUrl: true) unless told not to, and
      // WebKitWebDriver 2.50 answers "Failed to match capabilities" to that.
      'wdio:enforceWebDriverClassic': true,
      'webkitgtk:browserOptions': { binary: MINIBROWSER, args: ['--automation'] },
    },
  });
}

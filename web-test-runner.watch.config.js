// `npm run test:watch`: the unit tests, re-run on every save (Chromium unless WTR_BROWSER says
// otherwise). The e2e file runs in real time against the simulator, so it only runs when asked:
//   npm run test:watch -- test/e2e.test.ts
import base from './web-test-runner.config.js';

export default { ...base, files: ['test/**/*.test.ts', '!test/e2e.test.ts'] };

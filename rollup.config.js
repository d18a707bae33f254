// Input is tsc's output in lib/ (npm run build runs tsc first).
import { readFileSync, existsSync, readdirSync } from 'node:fs';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import MagicString from 'magic-string';
import { parseAst } from 'rollup/parseAst';

/** Calls `visit` on every node of an ESTree syntax tree. */
function eachNode(node, visit) {
  if (!node || typeof node.type !== 'string') return;
  visit(node);
  for (const value of Object.values(node)) {
    if (Array.isArray(value)) value.forEach((child) => eachNode(child, visit));
    else if (value && typeof value === 'object') eachNode(value, visit);
  }
}

/**
 * Our `private` members (tsc lists them in lib/*.d.ts) get short names in the bundle: nothing
 * outside the element reaches them. Left alone: a name that is also public somewhere (an interface
 * field may be JSON, storage or an event detail) or that our code spells as a string or an object
 * key (Lit's `static properties` and `changed.has()` name reactive properties). Terser keeps DOM
 * names by itself.
 */
function privateNames() {
  if (!existsSync('lib')) return [];
  const files = readdirSync('lib');
  const declarations = files.filter((f) => f.endsWith('.d.ts')).map((f) => readFileSync(`lib/${f}`, 'utf8'));
  const code = files.filter((f) => f.endsWith('.js')).map((f) => readFileSync(`lib/${f}`, 'utf8'));
  const names = (pattern) => new Set(declarations.flatMap((d) => [...d.matchAll(pattern)].map((m) => m[1])));
  const declared = names(/^\s+private (?:static |readonly |get |set )*([A-Za-z_$][\w$]*)/gm);
  const open = names(
    /^\s+(?:public |protected |static |readonly |override |abstract |accessor |declare |async |get |set )*([A-Za-z_$][\w$]*)\??\s*[:(<]/gm,
  );
  // Strings and object keys (Lit's `static properties`): another object may read them.
  const spelled = new Set();
  for (const c of code) {
    eachNode(parseAst(c), (node) => {
      if (node.type === 'Literal' && typeof node.value === 'string') spelled.add(node.value);
      if (node.type === 'TemplateElement') spelled.add(node.value.cooked);
      if (node.type === 'Property' && !node.computed) spelled.add(node.key.name ?? node.key.value);
    });
  }
  // Names the platform uses itself (map.get, event.target, url.host) stay, whatever terser knows.
  const builtin = [Map, Set, Promise, Array, Object, URL, Headers, EventTarget, Event, AbortController, Response];
  const platformName = (name) => builtin.some((type) => name in type.prototype || name in type);
  return [...declared].filter((name) => !open.has(name) && !spelled.has(name) && !platformName(name)).sort();
}

export const mangled = privateNames();

/**
 * Fails the build when a name about to be shortened is used other than as `this.name` or a class
 * member: on another object (JSON, storage, an event detail, a library's) or as an object key, the
 * short name would not be what the other side reads.
 */
export const shortNamesStayInside = {
  name: 'short-names-stay-inside',
  renderChunk(code) {
    const names = new Set(mangled);
    const misuses = [];
    eachNode(this.parse(code), (node) => {
      if (node.type === 'MemberExpression') {
        const name = node.computed ? node.property.value : node.property.name;
        if (names.has(name) && node.object.type !== 'ThisExpression') misuses.push(node);
      } else if (node.type === 'Property' && !node.computed && names.has(node.key.name ?? node.key.value)) {
        misuses.push(node);
      }
    });
    if (misuses.length > 0) {
      const where = misuses.map((n) => `${code.slice(n.start, n.end).slice(0, 60)} (at ${n.start})`);
      this.error(`names shortened in the bundle are used from outside their class:\n  ${where.join('\n  ')}`);
    }
    return null;
  },
};
/**
 * Fields of our internal object shapes get short names too: the flow's snapshot, actions and
 * effects (flow.ts), a backend answer's failure (backend.ts), the QR code's visibility
 * (qr-visibility.ts) and cached symbol, and the order controller's methods. Only our modules build
 * and read them; none goes into JSON, storage, an event detail or a public type, nor comes from a
 * library or the platform. `internalFieldsStayInside` fails the build if one is ever spelled as a
 * string in our code or appears in a library's. (Not here: fields that are saved or sent, such as
 * orderRef, flow, qrDeadline, nor the public Platform's.)
 */
const internalFields = [
  'snapshot',
  'effects',
  'timeWarning',
  'launchButton',
  'restarting',
  'reconnect',
  'elsewhere',
  'endedElsewhere',
  'browserHint',
  'lastErrorCode',
  'attempts',
  'ifStillOurs',
  'announce',
  'handedOver',
  'justWoke',
  'retryAfterMs',
  'failure',
  'partlyHidden',
  'cutAbove',
  'kind',
  'payload',
  'symbol',
  // The order controller's methods that the element calls (the class is not exported).
  'startSoon',
  'switchFlow',
  'takeBack',
  'moreTime',
  'resumeSaved',
];

export const internalFieldsStayInside = {
  name: 'internal-fields-stay-inside',
  transform(code, id) {
    const ours = id.includes('/lib/') && !id.includes('node_modules');
    if (!ours) {
      const used = internalFields.filter((name) => new RegExp(`\\b${name}\\b`).test(code));
      if (used.length) this.error(`${id} uses ${used.join(', ')}: take them out of internalFields`);
      return null;
    }
    eachNode(this.parse(code), (node) => {
      const text = node.type === 'Literal' ? node.value : node.type === 'TemplateElement' ? node.value.cooked : null;
      if (typeof text === 'string' && internalFields.includes(text)) {
        this.error(`${id}: "${text}" is spelled as a string (at ${node.start}): take it out of internalFields`);
      }
    });
    return null;
  },
};

/**
 * Every msg() of ours names its id, so @lit/localize never derives one by hashing the text: its
 * FNV-1a hasher (about 230 B gzip) stays out of the bundle. The build fails on a msg() in our code
 * without a literal `id`; were one derived anyway, it would throw rather than quietly show English.
 */
export const msgIdsOnly = {
  name: 'msg-ids-only',
  load(id) {
    if (!id.replace(/\\/g, '/').endsWith('/@lit/localize/internal/id-generation.js')) return null;
    return 'export function generateMsgId() { throw new Error("bankid-login: msg() needs an id"); }';
  },
  transform(code, id) {
    if (!id.includes('/lib/') || id.includes('node_modules')) return null;
    eachNode(this.parse(code), (node) => {
      if (node.type !== 'CallExpression' || node.callee.type !== 'Identifier' || node.callee.name !== 'msg') return;
      const options = node.arguments[1];
      const named =
        options?.type === 'ObjectExpression' &&
        options.properties.some(
          (p) => p.type === 'Property' && !p.computed && p.key.name === 'id' && p.value.type === 'Literal',
        );
      if (!named) this.error(`${id}: msg() without a literal id (at ${node.start}): the bundle cannot derive one`);
    });
    return null;
  },
};

export const terserOptions = {
  ecma: 2021,
  module: true,
  // Measured against the defaults: gzip finds a small function called in many places cheaper than
  // its body inlined into each (inline, reduce_funcs), and statements cheaper than one long comma
  // sequence (sequences). About 110 B gzip off the bundle, 175 B off our own code.
  compress: { passes: 2, inline: 0, reduce_funcs: false, sequences: false },
  format: { comments: false, quote_style: 2 }, // always "": fewer kinds of quote for gzip to tell apart
  // builtins: terser would otherwise keep every name it knows from some DOM interface (effects,
  // kind, queue, run …) even though the regex names only ours, each checked above.
  mangle: {
    properties: { regex: new RegExp(`^(${[...mangled, ...internalFields].join('|')})$`), builtins: true },
  },
};

// tsc's __decorate helper reads `this` at module top level, where it is undefined on purpose.
const onwarn = (warning, warn) => {
  if (warning.code !== 'THIS_IS_UNDEFINED') warn(warning);
};

/**
 * Loads each module with the source map beside it (tsc's, and the packages' own), so the bundle's
 * map leads back to the TypeScript and carries its text: the package holds no src/ to point at.
 */
const chainedSourceMaps = {
  name: 'chained-source-maps',
  load(id) {
    if (!id.endsWith('.js') || !existsSync(`${id}.map`)) return null;
    this.addWatchFile(id); // so rollup --watch still sees the change
    const code = readFileSync(id, 'utf8').replace(/\n\/\/# sourceMappingURL=.*$/, '');
    return { code, map: readFileSync(`${id}.map`, 'utf8') };
  },
};

/**
 * Lit's tagged templates ship as written: the indentation of html`` and svg`` and the comments of
 * css`` would go to every browser. Collapses them (our modules only; Lit's own are minified).
 * Whitespace with a line break in html becomes one space, which renders the same.
 */
export const minifyTemplates = {
  name: 'minify-templates',
  transform(code, id) {
    if (!id.includes('/lib/') || id.includes('node_modules')) return null;
    const out = new MagicString(code);
    eachNode(this.parse(code), (node) => {
      if (node.type === 'TaggedTemplateExpression' && node.tag.type === 'Identifier') {
        const tag = node.tag.name;
        for (const quasi of node.quasi.quasis) {
          const raw = code.slice(quasi.start, quasi.end);
          if (tag === 'css' && /["'`]|url\(/.test(raw.replace(/\/\*[\s\S]*?\*\//g, ''))) {
            this.error(`${id}: css with a string or url() — teach minifyTemplates to leave those alone first`);
          }
          const small =
            tag === 'css'
              ? raw
                  .replace(/\/\*[\s\S]*?\*\//g, '')
                  .replace(/\s+/g, ' ')
                  .replace(/\s*([{};,])\s*/g, '$1')
                  .replace(/:\s+/g, ':') // never a selector's (no space follows ":host", ":focus")
                  .replace(/([\s:,(])0\.(\d)/g, '$1.$2')
                  .replace(/;}/g, '}')
              : tag === 'html' || tag === 'svg'
                ? raw.replace(/\s*\n\s*/g, ' ')
                : raw;
          if (small !== raw) out.overwrite(quasi.start, quasi.end, small || ' ');
        }
      }
    });
    return out.hasChanged() ? { code: out.toString(), map: out.generateMap({ hires: true }) } : null;
  },
};

export default {
  input: 'lib/define.js',
  onwarn,
  output: { file: 'dist/bankid-login.bundle.js', format: 'es', sourcemap: true },
  plugins: [
    msgIdsOnly, // before chainedSourceMaps, which would load the real module
    chainedSourceMaps,
    minifyTemplates,
    nodeResolve({ browser: true, exportConditions: ['production'] }),
    internalFieldsStayInside,
    shortNamesStayInside,
    terser(terserOptions),
  ],
};

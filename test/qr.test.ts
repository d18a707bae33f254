import { expect } from '@open-wc/testing';
import { correction as fullCorrection, generate as fullGenerate } from 'lean-qr';
import { correction, generate } from 'lean-qr/nano';
import { QR_QUIET_ZONE, qrSymbol, type QrSymbol } from '../src/qr.js';
import { decodeQr } from './decode-qr.js';

const TOKEN = '67df3917-fa0d-44e5-b327-edcc928297f8';
const SECRET = 'd28db9a7-4cde-429e-a983-359be676944c';
const VECTOR0 = `bankid.${TOKEN}.0.dc69358e712458a66a7525beef148ae8526b1c71610eff2c16cdffb4cdac9bf8`;
const PX = 8;

async function payload(token: string, secret: string, t: number): Promise<string> {
  const enc = new TextEncoder();
  const key = await crypto.subtle.importKey('raw', enc.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
  ]);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, enc.encode(String(t))));
  const hex = Array.from(mac, (b) => b.toString(16).padStart(2, '0')).join('');
  return `bankid.${token}.${t}.${hex}`;
}

function svgMarkup(s: QrSymbol): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${s.size} ${s.size}" ` +
    `width="${s.size * PX}" height="${s.size * PX}" shape-rendering="crispEdges">` +
    `<rect width="${s.size}" height="${s.size}" fill="white"/><path d="${s.path}" fill="black"/></svg>`
  );
}

async function render(s: QrSymbol): Promise<ImageData> {
  const url = URL.createObjectURL(new Blob([svgMarkup(s)], { type: 'image/svg+xml' }));
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    const side = s.size * PX;
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = side;
    const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
    ctx.drawImage(img, 0, 0, side, side);
    return ctx.getImageData(0, 0, side, side);
  } finally {
    URL.revokeObjectURL(url);
  }
}

/** Parses the path's "Mx y h w" runs back into rectangles. */
function runs(path: string): { x: number; y: number; w: number }[] {
  return [...path.matchAll(/M(\d+) (\d+)h(\d+)v1h-(\d+)z/g)].map((m) => ({ x: +m[1]!, y: +m[2]!, w: +m[3]! }));
}

describe('qrSymbol', () => {
  let payloads: string[];

  before(async () => {
    payloads = [
      VECTOR0,
      await payload(TOKEN, SECRET, 1),
      await payload(TOKEN, SECRET, 29),
      await payload(TOKEN, SECRET, 179),
      await payload('3f1c2a9e-7b4d-4e8a-9c0f-5d6b7a8e9f01', 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d', 1234),
    ];
  });

  it('builds the known t=1 payload from the BankID test vector (payload sanity)', () => {
    expect(payloads[1]).to.equal(`bankid.${TOKEN}.1.949d559bf23403952a94d103e67743126381eda00f0b3cbddbf7c96b1adcbce2`);
  });

  it('renders SVGs that decode back to the exact payload', async () => {
    for (const p of payloads) {
      const img = await render(qrSymbol(p));
      expect(decodeQr(img), p).to.equal(p);
    }
  });

  it('keeps a blank quiet zone of 4 modules on every side (path)', () => {
    for (const p of payloads) {
      const { size, path } = qrSymbol(p);
      const rs = runs(path);
      expect(rs.length).to.be.greaterThan(0);
      expect(path.replace(/M(\d+) (\d+)h(\d+)v1h-(\d+)z/g, '')).to.equal('');
      for (const r of rs) {
        expect(r.x).to.be.at.least(QR_QUIET_ZONE);
        expect(r.y).to.be.at.least(QR_QUIET_ZONE);
        expect(r.x + r.w).to.be.at.most(size - QR_QUIET_ZONE);
        expect(r.y + 1).to.be.at.most(size - QR_QUIET_ZONE);
      }
      // The finder pattern's top-left corner sits right inside the quiet zone.
      expect(rs[0]).to.deep.equal({ x: QR_QUIET_ZONE, y: QR_QUIET_ZONE, w: 7 });
    }
  });

  it('keeps a blank quiet zone of 4 modules on every side (pixels)', async () => {
    const s = qrSymbol(VECTOR0);
    const img = await render(s);
    const edge = QR_QUIET_ZONE * PX;
    const side = img.width;
    let dark = 0;
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        const inZone = x < edge || y < edge || x >= side - edge || y >= side - edge;
        if (inZone && img.data[(y * side + x) * 4]! < 128) dark++;
      }
    }
    expect(dark).to.equal(0);
    // …and there is dark ink just inside it (the finder pattern).
    expect(img.data[(edge * side + edge) * 4]).to.be.below(128);
  });

  it('is pure: same payload, same path; different payloads, different paths', () => {
    for (const p of payloads) expect(qrSymbol(p)).to.deep.equal(qrSymbol(p));
    const paths = new Set(payloads.map((p) => qrSymbol(p).path));
    expect(paths.size).to.equal(payloads.length);
  });

  it('draws exactly the dark modules of the ECC-L symbol', () => {
    for (const p of payloads) {
      const { size, path } = qrSymbol(p);
      const code = generate(p, { minCorrectionLevel: correction.L });
      expect(size).to.equal(code.size + 2 * QR_QUIET_ZONE);
      const drawn = new Set<string>();
      for (const r of runs(path)) {
        for (let i = 0; i < r.w; i++) {
          const key = `${r.x + i - QR_QUIET_ZONE},${r.y - QR_QUIET_ZONE}`;
          expect(drawn.has(key), `module ${key} drawn twice`).to.equal(false);
          drawn.add(key);
        }
      }
      for (let y = 0; y < code.size; y++) {
        for (let x = 0; x < code.size; x++) expect(drawn.has(`${x},${y}`), `${x},${y}`).to.equal(code.get(x, y));
      }
    }
  });

  /** The error correction level the symbol states in its format information (next to the top-left finder). */
  function statedLevel(get: (x: number, y: number) => boolean): string {
    // Format bits 14 and 13, at (0, 8) and (1, 8), XOR the mask's 1 0: L = 01, M = 00, Q = 11, H = 10.
    const raw = (Number(get(0, 8)) << 1) | Number(get(1, 8));
    return ({ 0b11: 'L', 0b10: 'M', 0b01: 'Q', 0b00: 'H' } as Record<number, string>)[raw]!;
  }

  it('states ECC L in its format information (BANKID-REFERENCE Decisions: L or M), also for short text', () => {
    // Guard: the reader tells the levels apart on symbols of a known level.
    for (const level of ['L', 'M', 'Q', 'H'] as const) {
      const known = fullGenerate(VECTOR0, {
        minCorrectionLevel: fullCorrection[level],
        maxCorrectionLevel: fullCorrection[level],
      });
      expect(statedLevel((x, y) => known.get(x, y))).to.equal(level);
    }
    for (const p of [...payloads, 'bankid']) {
      const dark = new Set(
        runs(qrSymbol(p).path).flatMap((r) => Array.from({ length: r.w }, (_, i) => `${r.x + i},${r.y}`)),
      );
      expect(
        statedLevel((x, y) => dark.has(`${x + QR_QUIET_ZONE},${y + QR_QUIET_ZONE}`)),
        p,
      ).to.equal('L');
    }
  });

  it('uses ECC L: the test vector fits version 6 (41 + 8 modules), not the 45 of ECC M', () => {
    expect(qrSymbol(VECTOR0).size).to.equal(49);
  });

  it('has a size of at least version 1 plus the quiet zone', () => {
    expect(QR_QUIET_ZONE).to.equal(4);
    for (const p of payloads) {
      const { size } = qrSymbol(p);
      expect(size).to.be.at.least(21 + 2 * QR_QUIET_ZONE);
      expect((size - 2 * QR_QUIET_ZONE - 17) % 4).to.equal(0);
    }
  });
});

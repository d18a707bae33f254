import { generate } from 'lean-qr/nano';

/** Blank modules around the symbol; ISO 18004 asks for 4 so scanners find the edges. */
export const QR_QUIET_ZONE = 4;

export interface QrSymbol {
  /** Width = height in modules, including a quiet zone of 4 modules on every side. */
  size: number;
  /** SVG path data for the dark modules, 1 unit per module, offset by the quiet zone. */
  path: string;
}

/** Encodes a BankID QR payload at error correction L (smallest symbol, as BankID's own samples use). */
export function qrSymbol(payload: string): QrSymbol {
  // lean-qr/nano: byte mode only, and it keeps the level it is given (the full encoder raises it
  // where the version has room) at half the size. Its default minimum is L (correction.L = 0).
  const code = generate(payload);
  const n = code.size;
  let path = '';
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n;) {
      if (!code.get(x, y)) {
        x++;
        continue;
      }
      const start = x;
      while (x < n && code.get(x, y)) x++;
      // One rectangle per horizontal run keeps the path short.
      const w = x - start;
      path += `M${start + QR_QUIET_ZONE} ${y + QR_QUIET_ZONE}h${w}v1h-${w}z`;
    }
  }
  return { size: n + 2 * QR_QUIET_ZONE, path };
}

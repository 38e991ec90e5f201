/** Reading rendered PNGs and PDFs back in tests. */
import { createCanvas, loadImage } from '@napi-rs/canvas';
import { PDFParse } from 'pdf-parse';

export interface Pixels {
  readonly width: number;
  readonly height: number;
  at(x: number, y: number): [number, number, number, number];
  /** Whether any pixel within `radius` of (x, y) satisfies the predicate. */
  anyNear(x: number, y: number, radius: number, predicate: (rgba: [number, number, number, number]) => boolean): boolean;
}

export async function decodePng(png: Buffer): Promise<Pixels> {
  const image = await loadImage(png);
  const canvas = createCanvas(image.width, image.height);
  const ctx = canvas.getContext('2d');
  ctx.drawImage(image, 0, 0);
  const { data, width, height } = ctx.getImageData(0, 0, image.width, image.height);
  const at = (x: number, y: number): [number, number, number, number] => {
    const px = Math.min(width - 1, Math.max(0, Math.round(x)));
    const py = Math.min(height - 1, Math.max(0, Math.round(y)));
    const o = (py * width + px) * 4;
    return [data[o]!, data[o + 1]!, data[o + 2]!, data[o + 3]!];
  };
  return {
    width,
    height,
    at,
    anyNear(x, y, radius, predicate) {
      for (let dy = -radius; dy <= radius; dy++) for (let dx = -radius; dx <= radius; dx++) if (predicate(at(x + dx, y + dy))) return true;
      return false;
    },
  };
}

/** Dark and grey: the contour ink (#1a1a1a), not the purple of dense pixels nor the grid grey. */
export const isInk = ([r, g, b]: number[]) => r! < 90 && Math.abs(r! - g!) < 20 && Math.abs(g! - b!) < 20;
/** The neutrino green (#00875a). */
export const isGreen = ([r, g, b]: number[]) => g! > r! + 50 && g! > b! + 10;
/** The ZTF blue (#1f4fd1). */
export const isBlue = ([r, g, b]: number[]) => b! > r! + 80 && b! > g! + 60;

export async function pdfText(pdf: Buffer): Promise<string> {
  const parser = new PDFParse({ data: new Uint8Array(pdf) });
  try {
    return (await parser.getText()).text;
  } finally {
    await parser.destroy();
  }
}

/** Destination point at angular distance and bearing (degrees) from (ra, dec). */
export function offsetOnSphere(ra: number, dec: number, distance: number, bearing: number): [number, number] {
  const d = (distance * Math.PI) / 180;
  const b = (bearing * Math.PI) / 180;
  const phi1 = (dec * Math.PI) / 180;
  const lambda1 = (ra * Math.PI) / 180;
  const phi2 = Math.asin(Math.sin(phi1) * Math.cos(d) + Math.cos(phi1) * Math.sin(d) * Math.cos(b));
  const lambda2 = lambda1 + Math.atan2(Math.sin(b) * Math.sin(d) * Math.cos(phi1), Math.cos(d) - Math.sin(phi1) * Math.sin(phi2));
  return [((((lambda2 * 180) / Math.PI) % 360) + 360) % 360, (phi2 * 180) / Math.PI];
}

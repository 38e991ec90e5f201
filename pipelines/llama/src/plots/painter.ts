import { createCanvas, type Canvas, type SKRSContext2D } from '@napi-rs/canvas';

/**
 * The small drawing vocabulary the sky plot needs, in figure units. Two implementations: a raster
 * one on @napi-rs/canvas (PNG) and a vector one on pdfkit (PDF), so both files show the same figure.
 */
export interface PathSink {
  beginPath(): void;
  moveTo(x: number, y: number): void;
  lineTo(x: number, y: number): void;
  closePath(): void;
  arc(x: number, y: number, radius: number, startAngle: number, endAngle: number): void;
}

export interface ShapeStyle {
  readonly stroke?: string;
  readonly fill?: string;
  readonly lineWidth?: number;
  readonly dash?: readonly number[];
  readonly strokeOpacity?: number;
  readonly fillOpacity?: number;
}

export interface TextStyle {
  readonly size: number;
  readonly color: string;
  readonly align?: 'left' | 'center' | 'right';
  readonly baseline?: 'top' | 'middle' | 'alphabetic';
  readonly bold?: boolean;
  /** Draw a halo of this colour behind the glyphs, for text over the colour map. */
  readonly halo?: string;
}

/** Pixels of a raster as RGBA bytes, row-major from the top left. */
export interface Rgba {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8ClampedArray;
}

export interface Painter {
  readonly width: number;
  readonly height: number;
  path(build: (sink: PathSink) => void, style: ShapeStyle): void;
  text(text: string, x: number, y: number, style: TextStyle): void;
  textWidth(text: string, size: number, bold?: boolean): number;
  /**
   * Draw a raster into the box; `render` is asked for the pixel size the output device wants,
   * times `resolution` (below 1 for smooth layers, which are then interpolated).
   */
  raster(x: number, y: number, width: number, height: number, render: (pixelWidth: number, pixelHeight: number) => Rgba, resolution?: number): void;
}

const FONT_FAMILY = '"DejaVu Sans", "Liberation Sans", Arial, Helvetica, sans-serif';

/** Raster painter: figure units are multiplied by `scale` to get pixels. */
export class CanvasPainter implements Painter {
  readonly canvas: Canvas;
  private readonly ctx: SKRSContext2D;

  constructor(
    readonly width: number,
    readonly height: number,
    readonly scale: number,
    background = '#ffffff',
  ) {
    this.canvas = createCanvas(Math.round(width * scale), Math.round(height * scale));
    this.ctx = this.canvas.getContext('2d');
    this.ctx.fillStyle = background;
    this.ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    this.ctx.scale(scale, scale);
    this.ctx.lineJoin = 'round';
    this.ctx.lineCap = 'round';
  }

  path(build: (sink: PathSink) => void, style: ShapeStyle): void {
    const ctx = this.ctx;
    ctx.save();
    ctx.beginPath();
    build(ctx);
    if (style.fill !== undefined) {
      ctx.globalAlpha = style.fillOpacity ?? 1;
      ctx.fillStyle = style.fill;
      ctx.fill('evenodd');
    }
    if (style.stroke !== undefined) {
      ctx.globalAlpha = style.strokeOpacity ?? 1;
      ctx.strokeStyle = style.stroke;
      ctx.lineWidth = style.lineWidth ?? 1;
      ctx.setLineDash(style.dash ? [...style.dash] : []);
      ctx.stroke();
    }
    ctx.restore();
  }

  private font(size: number, bold?: boolean): string {
    return `${bold ? 'bold ' : ''}${size}px ${FONT_FAMILY}`;
  }

  text(text: string, x: number, y: number, style: TextStyle): void {
    const ctx = this.ctx;
    ctx.save();
    ctx.font = this.font(style.size, style.bold);
    ctx.textAlign = style.align ?? 'left';
    ctx.textBaseline = style.baseline ?? 'alphabetic';
    if (style.halo !== undefined) {
      ctx.strokeStyle = style.halo;
      ctx.lineWidth = Math.max(2, style.size / 3.5);
      ctx.lineJoin = 'round';
      ctx.strokeText(text, x, y);
    }
    ctx.fillStyle = style.color;
    ctx.fillText(text, x, y);
    ctx.restore();
  }

  textWidth(text: string, size: number, bold?: boolean): number {
    this.ctx.save();
    this.ctx.font = this.font(size, bold);
    const width = this.ctx.measureText(text).width;
    this.ctx.restore();
    return width;
  }

  raster(x: number, y: number, width: number, height: number, render: (pixelWidth: number, pixelHeight: number) => Rgba, resolution = 1): void {
    const pixelWidth = Math.max(1, Math.round(width * this.scale * resolution));
    const pixelHeight = Math.max(1, Math.round(height * this.scale * resolution));
    const rgba = render(pixelWidth, pixelHeight);
    const layer = createCanvas(rgba.width, rgba.height);
    const layerCtx = layer.getContext('2d');
    const image = layerCtx.createImageData(rgba.width, rgba.height);
    image.data.set(rgba.data);
    layerCtx.putImageData(image, 0, 0);
    this.ctx.save();
    this.ctx.imageSmoothingEnabled = resolution < 1;
    this.ctx.imageSmoothingQuality = 'high';
    this.ctx.drawImage(layer, x, y, width, height);
    this.ctx.restore();
  }

  png(): Promise<Buffer> {
    return this.canvas.encode('png');
  }
}

/** Encode RGBA pixels as PNG (for embedding rasters into PDFs). */
export function rgbaToPng(rgba: Rgba): Buffer {
  const canvas = createCanvas(rgba.width, rgba.height);
  const ctx = canvas.getContext('2d');
  const image = ctx.createImageData(rgba.width, rgba.height);
  image.data.set(rgba.data);
  ctx.putImageData(image, 0, 0);
  return canvas.encodeSync('png');
}

/**
 * Vector painter on a pdfkit document (1 figure unit = 1 pt). Text uses the PDF standard fonts
 * (Helvetica), which need no embedding; they cover Latin-1, so labels avoid other characters.
 */
export class PdfPainter implements Painter {
  constructor(
    private readonly doc: PDFKit.PDFDocument,
    readonly width: number,
    readonly height: number,
    /** Offset of the figure on the page, pt. */
    private readonly origin: { x: number; y: number } = { x: 0, y: 0 },
    /** Raster pixels per pt for embedded images. */
    private readonly rasterScale = 4,
  ) {}

  private sink(): PathSink {
    const { doc, origin } = this;
    return {
      beginPath: () => undefined,
      moveTo: (x, y) => void doc.moveTo(origin.x + x, origin.y + y),
      lineTo: (x, y) => void doc.lineTo(origin.x + x, origin.y + y),
      closePath: () => void doc.closePath(),
      arc: (x, y, radius) => void doc.circle(origin.x + x, origin.y + y, radius),
    };
  }

  path(build: (sink: PathSink) => void, style: ShapeStyle): void {
    const { doc } = this;
    if (style.fill !== undefined) {
      doc.save();
      build(this.sink());
      doc.fillOpacity(style.fillOpacity ?? 1).fill(style.fill, 'even-odd');
      doc.restore();
    }
    if (style.stroke !== undefined) {
      doc.save();
      build(this.sink());
      doc.lineWidth(style.lineWidth ?? 1).lineJoin('round').lineCap('round').strokeOpacity(style.strokeOpacity ?? 1);
      if (style.dash && style.dash.length >= 2) doc.dash(style.dash[0] ?? 1, { space: style.dash[1] ?? 1 });
      doc.stroke(style.stroke);
      doc.restore();
    }
  }

  private fontName(bold?: boolean): string {
    return bold ? 'Helvetica-Bold' : 'Helvetica';
  }

  textWidth(text: string, size: number, bold?: boolean): number {
    this.doc.font(this.fontName(bold)).fontSize(size);
    return this.doc.widthOfString(text);
  }

  text(text: string, x: number, y: number, style: TextStyle): void {
    const { doc, origin } = this;
    const width = this.textWidth(text, style.size, style.bold);
    const left = style.align === 'center' ? x - width / 2 : style.align === 'right' ? x - width : x;
    const baseline = style.baseline === 'top' ? 'top' : style.baseline === 'middle' ? 'middle' : 'alphabetic';
    const options = { lineBreak: false, baseline } as const;
    doc.save();
    doc.font(this.fontName(style.bold)).fontSize(style.size);
    if (style.halo !== undefined) {
      doc.lineWidth(Math.max(1.5, style.size / 3.5)).lineJoin('round').strokeColor(style.halo).fillColor(style.halo);
      doc.text(text, origin.x + left, origin.y + y, { ...options, stroke: true, fill: true });
    }
    doc.fillColor(style.color);
    doc.text(text, origin.x + left, origin.y + y, options);
    doc.restore();
  }

  raster(x: number, y: number, width: number, height: number, render: (pixelWidth: number, pixelHeight: number) => Rgba, resolution = 1): void {
    const scale = this.rasterScale * resolution;
    const rgba = render(Math.max(1, Math.round(width * scale)), Math.max(1, Math.round(height * scale)));
    this.doc.image(rgbaToPng(rgba), this.origin.x + x, this.origin.y + y, { width, height });
  }
}

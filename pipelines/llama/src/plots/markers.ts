import type { Painter, PathSink } from './painter.js';
import { NEUTRINO, ZTF } from './style.js';

/** A ZTF candidate: an open diamond with a white halo (the all-sky map and the zoom panel). */
export function drawZtfMarker(painter: Painter, x: number, y: number): void {
  const diamond = (sink: PathSink) => {
    sink.moveTo(x, y - 5);
    sink.lineTo(x + 4, y);
    sink.lineTo(x, y + 5);
    sink.lineTo(x - 4, y);
    sink.closePath();
  };
  painter.path(diamond, { stroke: '#ffffff', lineWidth: 2.6 });
  painter.path(diamond, { stroke: ZTF, lineWidth: 1.3 });
}

/** An IceCube neutrino: a × with a white halo and its row number from the summary table. */
export function drawNeutrinoMarker(painter: Painter, x: number, y: number, label: string): void {
  const cross = (sink: PathSink) => {
    sink.moveTo(x - 4.5, y - 4.5);
    sink.lineTo(x + 4.5, y + 4.5);
    sink.moveTo(x - 4.5, y + 4.5);
    sink.lineTo(x + 4.5, y - 4.5);
  };
  painter.path(cross, { stroke: '#ffffff', lineWidth: 3.4 });
  painter.path(cross, { stroke: NEUTRINO, lineWidth: 1.7 });
  painter.text(label, x + 6, y - 6, { size: 10, color: NEUTRINO, bold: true, baseline: 'alphabetic', halo: '#ffffff' });
}

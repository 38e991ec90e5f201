/**
 * A sequential colour map for probability density: white (nothing) through yellow, orange and red
 * to a dark purple (the densest pixels). Light at zero so that the empty sky stays white and the
 * markers drawn on top stay readable; monotonic in lightness so that it prints in grey scale.
 */
const STOPS: readonly (readonly [number, number, number, number])[] = [
  [0.0, 255, 255, 255],
  [0.08, 255, 247, 188],
  [0.25, 254, 217, 118],
  [0.45, 253, 141, 60],
  [0.65, 227, 26, 28],
  [0.85, 152, 0, 67],
  [1.0, 73, 0, 106],
];

/** RGB (0-255) for a value in [0, 1]; values outside are clamped. */
export function colormap(value: number): [number, number, number] {
  const v = Number.isFinite(value) ? Math.max(0, Math.min(1, value)) : 0;
  for (let i = 1; i < STOPS.length; i++) {
    const hi = STOPS[i]!;
    if (v <= hi[0]) {
      const lo = STOPS[i - 1]!;
      const t = (v - lo[0]) / (hi[0] - lo[0]);
      return [
        Math.round(lo[1] + t * (hi[1] - lo[1])),
        Math.round(lo[2] + t * (hi[2] - lo[2])),
        Math.round(lo[3] + t * (hi[3] - lo[3])),
      ];
    }
  }
  const last = STOPS[STOPS.length - 1]!;
  return [last[1], last[2], last[3]];
}

export function cssColor([r, g, b]: readonly number[]): string {
  return `rgb(${r}, ${g}, ${b})`;
}

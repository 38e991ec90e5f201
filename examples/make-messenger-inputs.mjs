#!/usr/bin/env node
// Writes the bundled example's neutrino archive (JSON Lines) and Fermi GRB catalogue (CSV):
// made-up but plausible messengers around the three example events. Deterministic; rerun after
// editing. Neutrinos: one near each skymap's most probable direction, one far away, and one
// 650 s after the event so the ±500 s window counts as complete.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const MJD_UNIX_EPOCH = 40587;
const mjd = (iso, dt) => (Date.parse(iso) / 1000 + dt) / 86400 + MJD_UNIX_EPOCH;

const events = [
  { iso: '2026-01-01T12:00:00.000Z', peak: [150.1, 20.1] },
  { iso: '2026-01-02T03:04:05.000Z', peak: [30.2, -40.2] },
  { iso: '2026-01-03T22:10:00.500Z', peak: [270.3, 64.8] },
];
const lines = [];
let eventNo = 1000;
for (const [i, e] of events.entries()) {
  const near = { dt: -120 + 40 * i, ra: e.peak[0] + 0.8, dec: e.peak[1] - 0.5, sigma: 0.6, energy: 12000 + 5000 * i };
  const far = { dt: 310 - 50 * i, ra: (e.peak[0] + 170) % 360, dec: -e.peak[1] / 2, sigma: 1.4, energy: 2500 };
  const later = { dt: 650, ra: (e.peak[0] + 90) % 360, dec: 10, sigma: 0.9, energy: 3100 };
  for (const n of [near, far, later]) {
    lines.push(JSON.stringify({ mjd: mjd(e.iso, n.dt), ra: n.ra, dec: n.dec, sigma: n.sigma, energy: n.energy, run: 140000 + i, event: eventNo++, type: 'observation' }));
  }
}
writeFileSync(join(here, 'icecube', 'neutrinos.jsonl'), `${lines.join('\n')}\n`);

const grbs = [
  ['name', 'time_iso', 'ra', 'dec', 'error_radius'],
  ['GRB260101A', '2026-01-01T12:01:10.000Z', '151.0', '19.0', '4.5'],
  ['GRB260102A', '2026-01-02T09:00:00.000Z', '10.0', '5.0', '3.0'],
];
writeFileSync(join(here, 'fermi', 'grbs.csv'), `${grbs.map((r) => r.join(',')).join('\n')}\n`);

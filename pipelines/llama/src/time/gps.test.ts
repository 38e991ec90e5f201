import { describe, expect, it } from 'vitest';
import { gpsToIso, gpsToMjd, isoToGps, isoToUnix, mjdToGps, unixToMjd } from './gps.js';

describe('time scales', () => {
  it('matches GW170817: 2017-08-17T12:41:04.4 UTC = GPS 1187008882.4', () => {
    expect(isoToGps('2017-08-17T12:41:04.4')).toBeCloseTo(1187008882.4, 6);
    expect(gpsToIso(1187008882.4)).toBe('2017-08-17T12:41:04.400Z');
  });
  it('matches GW150914 (GPS−UTC = 17 s in 2015)', () => {
    expect(isoToGps('2015-09-14T09:50:45.4Z')).toBeCloseTo(1126259462.4, 6);
  });
  it('agrees with a real skymap header: DATE-OBS 2025-03-26T01:54:06.156033 ↔ MJD-OBS 60760.079237917045', () => {
    expect(unixToMjd(isoToUnix('2025-03-26T01:54:06.156033'))).toBeCloseTo(60760.079237917045, 9);
  });
  it('round-trips GPS ↔ MJD', () => {
    const gps = 1387000000.25;
    expect(mjdToGps(gpsToMjd(gps))).toBeCloseTo(gps, 4);
  });
  it('rejects garbage', () => {
    expect(() => isoToUnix('yesterday')).toThrow(/ISO-8601/);
  });
});

/**
 * Time scales used by LLAMA: UTC (ISO strings), GPS seconds and MJD.
 * GPS = TAI − 19 s; GPS − UTC grows by one at every leap second, so we keep the IERS table
 * instead of hard-coding 18 s.
 */

/** UTC instants (Unix ms) from which TAI − UTC took the given value (IERS Bulletin C). */
const LEAP_SECONDS: ReadonlyArray<readonly [number, number]> = [
  [Date.UTC(1972, 0, 1), 10], [Date.UTC(1972, 6, 1), 11], [Date.UTC(1973, 0, 1), 12],
  [Date.UTC(1974, 0, 1), 13], [Date.UTC(1975, 0, 1), 14], [Date.UTC(1976, 0, 1), 15],
  [Date.UTC(1977, 0, 1), 16], [Date.UTC(1978, 0, 1), 17], [Date.UTC(1979, 0, 1), 18],
  [Date.UTC(1980, 0, 1), 19], [Date.UTC(1981, 6, 1), 20], [Date.UTC(1982, 6, 1), 21],
  [Date.UTC(1983, 6, 1), 22], [Date.UTC(1985, 6, 1), 23], [Date.UTC(1988, 0, 1), 24],
  [Date.UTC(1990, 0, 1), 25], [Date.UTC(1991, 0, 1), 26], [Date.UTC(1992, 6, 1), 27],
  [Date.UTC(1993, 6, 1), 28], [Date.UTC(1994, 6, 1), 29], [Date.UTC(1996, 0, 1), 30],
  [Date.UTC(1997, 6, 1), 31], [Date.UTC(1999, 0, 1), 32], [Date.UTC(2006, 0, 1), 33],
  [Date.UTC(2009, 0, 1), 34], [Date.UTC(2012, 6, 1), 35], [Date.UTC(2015, 6, 1), 36],
  [Date.UTC(2017, 0, 1), 37],
];

const GPS_EPOCH_UNIX_S = Date.UTC(1980, 0, 6) / 1000;
const TAI_MINUS_GPS = 19;
/** MJD of the Unix epoch. */
const MJD_UNIX_EPOCH = 40587;

function taiMinusUtcAtUnix(unixSeconds: number): number {
  let offset = 10;
  for (const [startMs, value] of LEAP_SECONDS) {
    if (unixSeconds * 1000 >= startMs) offset = value;
    else break;
  }
  return offset;
}

/** Unix seconds (UTC) → GPS seconds. */
export function unixToGps(unixSeconds: number): number {
  return unixSeconds - GPS_EPOCH_UNIX_S + taiMinusUtcAtUnix(unixSeconds) - TAI_MINUS_GPS;
}

/** GPS seconds → Unix seconds (UTC). */
export function gpsToUnix(gps: number): number {
  // Iterate once: the offset at the guessed UTC instant is right except within a leap second.
  const guess = gps + GPS_EPOCH_UNIX_S - (taiMinusUtcAtUnix(gps + GPS_EPOCH_UNIX_S) - TAI_MINUS_GPS);
  return gps + GPS_EPOCH_UNIX_S - (taiMinusUtcAtUnix(guess) - TAI_MINUS_GPS);
}

/** Parse an ISO-8601 UTC time (`2019-08-14T21:10:39.013`, with or without `Z`) to Unix seconds. */
export function isoToUnix(iso: string): number {
  const trimmed = iso.trim();
  const withZone = /[zZ]|[+-]\d\d:?\d\d$/.test(trimmed) ? trimmed : `${trimmed}Z`;
  const ms = Date.parse(withZone.replace(' ', 'T'));
  if (Number.isNaN(ms)) throw new RangeError(`not an ISO-8601 time: ${JSON.stringify(iso)}`);
  // Date.parse keeps milliseconds only; recover finer digits from the string.
  const frac = /\.(\d+)/.exec(trimmed)?.[1];
  const extra = frac !== undefined && frac.length > 3 ? Number(`0.000${frac.slice(3)}`) : 0;
  return ms / 1000 + extra;
}

export function unixToIso(unixSeconds: number): string {
  return new Date(Math.round(unixSeconds * 1000)).toISOString();
}

export function isoToGps(iso: string): number {
  return unixToGps(isoToUnix(iso));
}

export function gpsToIso(gps: number): string {
  return unixToIso(gpsToUnix(gps));
}

/** MJD is a UTC day count: Unix/86400 + 40587. */
export function unixToMjd(unixSeconds: number): number {
  return unixSeconds / 86400 + MJD_UNIX_EPOCH;
}

export function mjdToUnix(mjd: number): number {
  return (mjd - MJD_UNIX_EPOCH) * 86400;
}

export function gpsToMjd(gps: number): number {
  return unixToMjd(gpsToUnix(gps));
}

export function mjdToGps(mjd: number): number {
  return unixToGps(mjdToUnix(mjd));
}

#!/usr/bin/python3
"""Reference values for pipelines/llama/src/coords (IceCube zenith/azimuth <-> ICRS).

Run once with Debian's astropy (``/usr/bin/python3 make.py``); it writes ``astropy.json`` beside
this file. The transform is the one LLAMA 3.5.1 used (``llama/files/i3/utils.py``
``zen_az2ra_dec`` / ``ra_dec2zen_az``): the site is EarthLocation(lat=-89.9944 deg,
lon=-62.6081 deg, height=0 m); the MJD is read on the UT1 scale; AltAz has pressure=0 (no
refraction); IceCube azimuth maps to astropy azimuth as az_astropy = (90 - az_icecube) - lon.

No network here, so astropy cannot download IERS-A. With auto_download off it uses its bundled
IERS-B table, which ends at MJD 59912 (2022-12-03); past that astropy holds the last tabulated
values (UT1-UTC = -0.0192 s, polar motion x=0.150", y=0.190"); iers_degraded_accuracy='ignore'
lets it do so instead of raising. Because the MJD is already UT1, UT1-UTC only enters through TT
(precession/nutation/aberration epoch), where 1 s is < 1e-5 arcsec. The values used per point are
written out (``ut1_minus_utc_s``, ``polar_motion_arcsec``).
"""
import json
import os
import sys

import numpy as np
import astropy
import erfa
import astropy.units as u
from astropy.coordinates import AltAz, EarthLocation, ICRS, SkyCoord
from astropy.time import Time
from astropy.utils import iers

iers.conf.auto_download = False
iers.conf.iers_degraded_accuracy = 'ignore'

SITE = EarthLocation(lat=-89.9944 * u.deg, lon=-62.6081 * u.deg, height=0 * u.m)
MJD_MIN, MJD_MAX = 58484.0, 61406.0  # 2019-01-01 .. 2027-01-01
N = 300
rng = np.random.default_rng(20261207)


def eop(times):
    table = iers.earth_orientation_table.get()
    dut1 = (times.mjd - times.utc.mjd) * 86400.0
    xp, yp = table.pm_xy(times)
    return dut1, xp.to_value(u.arcsec), yp.to_value(u.arcsec)


def zen_az_to_icrs():
    mjd = rng.uniform(MJD_MIN, MJD_MAX, N)
    # Uniform on the sphere, plus a few near the zenith, nadir and horizon.
    zen = np.degrees(np.arccos(rng.uniform(-1, 1, N)))
    zen[:6] = [0.01, 0.5, 89.99, 90.0, 179.5, 179.99]
    az = rng.uniform(0, 360, N)
    times = Time(mjd, format='mjd', scale='ut1')
    altaz = AltAz(alt=(90 - zen) * u.deg, az=(90 - az) * u.deg - SITE.lon, obstime=times,
                  location=SITE, pressure=0)
    icrs = SkyCoord(altaz).transform_to(ICRS())
    dut1, xp, yp = eop(times)
    return [dict(mjd=float(m), zenith=float(z), azimuth=float(a), ra=float(r), dec=float(d),
                 ut1_minus_utc_s=float(t), polar_motion_arcsec=[float(x), float(y)])
            for m, z, a, r, d, t, x, y in zip(mjd, zen, az, icrs.ra.deg, icrs.dec.deg, dut1, xp, yp)]


def icrs_to_zen_az():
    mjd = rng.uniform(MJD_MIN, MJD_MAX, N)
    ra = rng.uniform(0, 360, N)
    dec = np.degrees(np.arcsin(rng.uniform(-1, 1, N)))
    dec[:4] = [-89.99, -0.01, 0.01, 89.99]
    times = Time(mjd, format='mjd', scale='ut1')
    coords = SkyCoord(ra=ra * u.deg, dec=dec * u.deg, frame='icrs')
    altaz = coords.transform_to(AltAz(obstime=times, location=SITE, pressure=0))
    zen = (90 * u.deg - altaz.alt).deg
    az = (90 * u.deg - altaz.az - SITE.lon).wrap_at(360 * u.deg).deg
    dut1, xp, yp = eop(times)
    return [dict(mjd=float(m), ra=float(r), dec=float(d), zenith=float(z), azimuth=float(a),
                 ut1_minus_utc_s=float(t), polar_motion_arcsec=[float(x), float(y)])
            for m, r, d, z, a, t, x, y in zip(mjd, ra, dec, zen, az, dut1, xp, yp)]


def main():
    out = {
        'description': 'IceCube zenith/azimuth <-> ICRS as LLAMA 3.5.1 computes it with astropy '
                       '(see make.py). Angles in degrees; mjd on the UT1 scale.',
        'generator': 'pipelines/llama/test-fixtures/coords/make.py',
        'astropy': astropy.__version__,
        'pyerfa': erfa.__version__,
        'site': {'lat_deg': -89.9944, 'lon_deg': -62.6081, 'height_m': 0},
        'iers': 'bundled IERS-B to MJD 59912 (auto_download=False); later times hold the last '
                'values (UT1-UTC -0.0192 s, xp 0.150", yp 0.190")',
        'zenithAzimuthToIcrs': zen_az_to_icrs(),
        'icrsToZenithAzimuth': icrs_to_zen_az(),
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'astropy.json')
    # One point a line: small diffs, readable.
    lines = ['{']
    items = list(out.items())
    for i, (key, value) in enumerate(items):
        end = ',' if i < len(items) - 1 else ''
        if isinstance(value, list):
            rows = ',\n'.join('  ' + json.dumps(v) for v in value)
            lines.append(f' {json.dumps(key)}: [\n{rows}\n ]{end}')
        else:
            lines.append(f' {json.dumps(key)}: {json.dumps(value)}{end}')
    lines.append('}')
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    print(f'wrote {path}', file=sys.stderr)


if __name__ == '__main__':
    main()

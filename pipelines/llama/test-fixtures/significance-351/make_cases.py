#!/usr/bin/python3
"""Writes the significance-351 fixtures: the small sky maps, background-sample.txt,
gw-snr-sample.txt, cases.json (inputs) and reference.json (reference.py's results).

Run with Debian's python: `/usr/bin/python3 make_cases.py` in this folder (seeded, deterministic;
needs pipelines/llama/data/background-neutrinos.txt and gw-background-snr.txt of this worktree).
"""
import json
import math
import os
import sys

import numpy as np
import healpy as hp
import astropy.units as u
from astropy.coordinates import AltAz, EarthLocation, ICRS, SkyCoord
from astropy.table import Table
from astropy.time import Time
from astropy.utils import iers

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ beside the fixtures
sys.path.insert(0, HERE)
import reference as ref  # noqa: E402

iers.conf.auto_download = False
iers.conf.iers_degraded_accuracy = 'ignore'
SITE = EarthLocation(lat=-89.9944 * u.deg, lon=-62.6081 * u.deg, height=0 * u.m)
DATA = os.path.join(HERE, '..', '..', 'data')
rng = np.random.default_rng(3510714)

FLAT = 'flat-nside64.fits'
MOC = 'multiorder.fits'
BG = 'background-sample.txt'
SNR = 'gw-snr-sample.txt'
BLOB_A = (120.0, -12.0)   # southern sky near the horizon: neutrino zenith ~78°
BLOB_B = (250.0, 20.0)    # northern sky: neutrino zenith ~110° (> 80°, the E^-3.7 branch)
BLOB_M = (300.0, -50.0)   # multi-order map: zenith ~40°, where Aeff is mostly its 1e-15 floor


# ------------------------------------------------------------------ data samples
def write_background_sample():
    src = os.path.join(DATA, 'background-neutrinos.txt')
    rows = [l for l in open(src) if not l.startswith('#') and l.strip()]
    pick = np.sort(rng.choice(len(rows), 2000, replace=False))
    with open(os.path.join(HERE, BG), 'w') as f:
        f.write('# Test fixture: 2000 rows drawn (numpy seed 3510714, without replacement, kept in file order) from\n')
        f.write('# pipelines/llama/data/background-neutrinos.txt, the SUBSTITUTE background sample (not IceCube data).\n')
        f.write('# MJD[days] log10(E/GeV) AngErr[deg] RA[deg] Dec[deg] Azimuth[deg] Zenith[deg]\n')
        for k in pick:
            f.write(rows[k])


def write_snr_sample():
    src = os.path.join(DATA, 'gw-background-snr.txt')
    vals = [l.strip() for l in open(src) if not l.startswith('#') and l.strip()]
    pick = np.sort(rng.choice(len(vals), 500, replace=False))
    with open(os.path.join(HERE, SNR), 'w') as f:
        for k in pick:
            f.write(vals[k] + '\n')


# ------------------------------------------------------------------ sky maps
def fvm(ra0, dec0, sigma_deg, ra, dec):
    """Fisher-von Mises density (per sr) centred at (ra0, dec0)."""
    kappa = 1 / math.radians(sigma_deg) ** 2
    v0 = hp.ang2vec(ra0, dec0, lonlat=True)
    v = hp.ang2vec(ra, dec, lonlat=True)
    return kappa / (2 * math.pi * (1 - math.exp(-2 * kappa))) * np.exp(kappa * (v @ v0 - 1))


def write_flat():
    nside = 64
    npix = hp.nside2npix(nside)
    ra, dec = hp.pix2ang(nside, np.arange(npix), nest=True, lonlat=True)
    dens = 0.6 * fvm(*BLOB_A, 4.0, ra, dec) + 0.39 * fvm(*BLOB_B, 3.0, ra, dec) + 0.01 / (4 * math.pi)
    prob = dens * hp.nside2pixarea(nside)
    prob /= prob.sum()
    path = os.path.join(HERE, FLAT)
    hp.write_map(path, prob, nest=True, coord='C', column_names=['PROB'], dtype=np.float64,
                 fits_IDL=False, overwrite=True,
                 extra_header=[('DISTMEAN', 400.0, 'Mpc'), ('DISTSTD', 90.0, 'Mpc'),
                               ('OBJECT', 'SIGREF-FLAT'), ('CREATOR', 'make_cases.py')])


def write_moc():
    """Orders 3..7: refine around BLOB_M (order 4 within 25°, 5 within 12°, 6 within 6°, 7 within
    2.5° of the centre of a pixel's parent)."""
    v0 = hp.ang2vec(*BLOB_M, lonlat=True)
    limits = {3: 25.0, 4: 12.0, 5: 6.0, 6: 2.5}
    uniq, dens = [], []
    todo = [(3, p) for p in range(hp.nside2npix(8))]
    while todo:
        o, p = todo.pop()
        ra, dec = hp.pix2ang(2 ** o, p, nest=True, lonlat=True)
        sep = math.degrees(math.acos(min(1.0, float(hp.ang2vec(ra, dec, lonlat=True) @ v0))))
        if o < 7 and sep < limits[o]:
            todo.extend((o + 1, 4 * p + c) for c in range(4))
            continue
        uniq.append(4 * 4 ** o + p)
        dens.append(float(0.97 * fvm(*BLOB_M, 2.0, ra, dec) + 0.03 / (4 * math.pi)))
    uniq = np.array(uniq, dtype=np.int64)
    dens = np.array(dens)
    order = (np.log2(uniq // 4) // 2).astype(int)
    area = 4 * math.pi / (12 * 4 ** order)
    dens /= np.sum(dens * area)
    o = np.argsort(uniq)
    t = Table([uniq[o], dens[o], np.full(len(o), 250.0), np.full(len(o), 60.0), np.full(len(o), 1.4e-5)],
              names=['UNIQ', 'PROBDENSITY', 'DISTMU', 'DISTSIGMA', 'DISTNORM'])
    t['PROBDENSITY'].unit = 'sr-1'
    t['DISTMU'].unit = t['DISTSIGMA'].unit = 'Mpc'
    t['DISTNORM'].unit = 'Mpc-2'
    t.meta.update(PIXTYPE='HEALPIX', ORDERING='NUNIQ', COORDSYS='C', MOCORDER=7, INDXSCHM='EXPLICIT',
                  OBJECT='SIGREF-MOC', DISTMEAN=250.0, DISTSTD=60.0, CREATOR='make_cases.py')
    t.write(os.path.join(HERE, MOC), format='fits', overwrite=True)
    return len(t)


# ------------------------------------------------------------------ neutrinos
# Relative tolerance a consumer can use for odds and p_h_* when it feeds reference.json's ra/dec
# (see README.md: quad ~1e-15, pixel sums ~1e-13, mjd->GPS rounding <= 1e-6 s over T >= 100 s).
TOL = 1e-6
T_GW = float(Time('2026-11-20T08:00:00', scale='utc').gps)


def nu_at(ra, dec, dt, energy, sigma):
    """A neutrino dt seconds after the GW, whose astropy direction is (ra, dec) to the rounding
    of zenith/azimuth to 1e-4 deg (the precision of the IceCube text format)."""
    mjd = float(Time(T_GW + dt, format='gps').utc.mjd)
    t = Time(mjd, format='mjd', scale='ut1')
    aa = SkyCoord(ra=ra * u.deg, dec=dec * u.deg, frame='icrs').transform_to(
        AltAz(obstime=t, location=SITE, pressure=0))
    zen = round(90 - float(aa.alt.deg), 4)
    az = round((90 - SITE.lon.deg - float(aa.az.deg)) % 360, 4)
    return dict(mjd=mjd, zenith=zen, azimuth=az, energy=energy, sigma=sigma)


def offset(radec, dra, ddec):
    return (radec[0] + dra / math.cos(math.radians(radec[1])), radec[1] + ddec)


def cases():
    A, B, M = BLOB_A, BLOB_B, BLOB_M
    c = []
    c.append(dict(name='single-near-peak', what='one neutrino 0.3° from the peak of the southern blob, Δt = +120 s',
                  skymap=FLAT, pipeline='gstlal', snr=12.0,
                  neutrinos=[nu_at(*offset(A, 0.3, 0.1), 120.0, 2.0e4, 0.8)]))
    c.append(dict(name='single-far-off', what='one neutrino ~50° from both blobs (isotropic floor only), Δt = -300 s',
                  skymap=FLAT, pipeline='gstlal', snr=12.0,
                  neutrinos=[nu_at(170.0, 5.0, -300.0, 500.0, 1.2)]))
    c.append(dict(name='beyond-500s', what='as single-near-peak but Δt = +620 s: time term 0, odds 0',
                  skymap=FLAT, pipeline='gstlal', snr=12.0,
                  neutrinos=[nu_at(*offset(A, 0.3, 0.1), 620.0, 2.0e4, 0.8)]))
    c.append(dict(name='three-neutrinos-one-pair',
                  what='ν0 and ν1 1.5° apart (pair criterion met, credited to ν0 only); ν2 20° away (criterion not met)',
                  skymap=FLAT, pipeline='gstlal', snr=12.0,
                  neutrinos=[nu_at(*offset(A, 0.0, -0.5), -50.0, 3.0e4, 0.7),
                             nu_at(*offset(A, 1.2, 0.4), 200.0, 8.0e3, 0.9),
                             nu_at(*offset(A, -18.0, 7.0), 400.0, 1.0e5, 0.5)]))
    c.append(dict(name='northern-pair-loop-quirk',
                  what='northern blob (zenith > 80°): primary at 3e5 GeV (÷10 steps, E^-3.7 branch); second neutrino '
                       'above the median energy, so the pair loop divides ε_j\' by 10 once more and f_E2 = 10^3.7',
                  skymap=FLAT, pipeline='gstlal', snr=12.0,
                  neutrinos=[nu_at(*offset(B, 0.2, 0.2), -100.0, 3.0e5, 0.6),
                             nu_at(*offset(B, -0.8, 0.5), 150.0, 1.5e3, 0.8)]))
    c.append(dict(name='low-energy-clamp', what='3 GeV neutrino near the peak: ε\' = minenu of its zenith band, then ×10 steps',
                  skymap=FLAT, pipeline='gstlal', snr=12.0,
                  neutrinos=[nu_at(*offset(A, -0.4, 0.6), 30.0, 3.0, 1.0)]))
    c.append(dict(name='cwb', what='cWB event (pipeline "CWB"): distance uniform on [0, r0]; DISTMEAN unused',
                  skymap=FLAT, pipeline='CWB', snr=12.0,
                  neutrinos=[nu_at(*offset(A, 0.3, 0.1), 120.0, 2.0e4, 0.8)]))
    c.append(dict(name='multiorder', what='multi-order map (orders 3..7), rasterised to order 7; two neutrinos, no pair',
                  skymap=MOC, pipeline='gstlal', snr=10.0,
                  neutrinos=[nu_at(*offset(M, 0.2, -0.3), 60.0, 5.0e4, 0.5),
                             nu_at(*offset(M, 8.0, 3.0), -250.0, 2.0e3, 0.4)]))
    c.append(dict(name='subthreshold', what='§6 subthreshold odds: two neutrinos near the southern blob, p_terr 0.7, SNR 6.0',
                  kind='subthreshold', skymap=FLAT, pipeline='gstlal', snr=6.0, p_terr=0.7, gw_snr_sample=SNR,
                  neutrinos=[nu_at(*offset(A, 0.5, 0.2), -80.0, 2.0e4, 0.8),
                             nu_at(*offset(A, -3.0, 1.5), 310.0, 4.0e3, 1.1)]))
    for x in c:
        x.setdefault('kind', 'opa')
        x['t_gw'] = T_GW
        x['background_sample'] = BG
    return c


def shifted_radecs(per, k):
    """All neutrinos moved by 1 arcsec: k = 0..3 -> +ra, -ra, +dec, -dec (on the sky)."""
    s = 1 / 3600
    out = []
    for p in per:
        dra = (s if k == 0 else -s if k == 1 else 0.0) / math.cos(math.radians(p['dec']))
        ddec = s if k == 2 else -s if k == 3 else 0.0
        out.append((p['ra'] + dra, p['dec'] + ddec))
    return out


def check(cs, results):
    """The cases must exercise what they claim; stop if a change of data or code breaks that."""
    r = {k: v for k, v in results.items()}
    for name, x in r.items():
        for p in x.get('neutrinos', []):
            assert p['closed_form']['rel_diff'] < 1e-12, (name, p['closed_form'])
    assert r['single-near-peak']['combined']['odds_ratio'] > 0
    b = r['beyond-500s']['neutrinos'][0]
    assert b['odds_ratio'] == 0 and b['diagnostics']['S'] > 0 and abs(b['dt']) > 500
    t = r['three-neutrinos-one-pair']['neutrinos']
    assert [q['j'] for q in t[0]['diagnostics']['pairs']] == [1]
    assert t[1]['diagnostics']['pairs'] == [] and t[2]['diagnostics']['pairs'] == []
    assert t[0]['p_h_s2'] > 0 and t[1]['p_h_s2'] == 0
    n = r['northern-pair-loop-quirk']['neutrinos']
    q = n[0]['diagnostics']['pairs'][0]
    assert q['counts'] == 1 and abs(q['f_E2'] / 10 ** 3.7 - 1) < 1e-12, q      # the loop quirk
    assert n[0]['diagnostics']['background']['f_E'] > 1                      # primary E^-3.7 branch
    assert n[0]['diagnostics']['background']['steps'] >= 1
    lo = r['low-energy-clamp']['neutrinos'][0]
    assert lo['energy'] < lo['diagnostics']['background']['minenu']
    assert r['cwb']['neutrinos'][0]['odds_ratio'] > 0
    assert r['subthreshold']['combined']['odds_ratio'] > 0
    # subthreshold.py carries δω, ΔE across neutrinos: the case must start ν1 from widened windows.
    sn = r['subthreshold']['combined']['diagnostics']['neutrinos']
    assert sn[0]['background']['steps'] >= 1 and sn[1]['background']['domega'] > ref.DELTA_OMEGA * 1.5 ** sn[1]['background']['steps'], sn
    for p in r['subthreshold']['combined']['diagnostics']['neutrinos']:
        assert abs(p['I1'] / p['I1_closed_form'] - 1) < 1e-12, p
        assert abs(p['I_wogw'] / p['I_wogw_closed_form'] - 1) < 1e-11, p


def main():
    write_background_sample()
    write_snr_sample()
    write_flat()
    nmoc = write_moc()
    bg = ref.Background(os.path.join(HERE, BG))
    snrs = np.loadtxt(os.path.join(HERE, SNR))
    cs = cases()
    results = {}
    skies = {}
    for c in cs:
        path = os.path.join(HERE, c['skymap'])
        if path not in skies:
            prob, distmean = ref.read_skymap(path)
            skies[path] = (ref.Sky(prob), distmean)
        sky, D = skies[path]
        c['distmean'] = D
        if c['kind'] == 'subthreshold':
            args = (sky, D, c['snr'], c['pipeline'], c['t_gw'], c['neutrinos'], bg, snrs, c['p_terr'])
            r = ref.subthreshold(*args)
            sens_c = 0.0
            sens_t = dict(p_h_s1=0.0, p_h_c=0.0)
            for k in range(4):
                r2 = ref.subthreshold(*args, radec=shifted_radecs(r['diagnostics']['neutrinos'], k))
                sens_c = max(sens_c, abs(r2['odds_ratio'] / r['odds_ratio'] - 1))
                for t in sens_t:
                    sens_t[t] = max(sens_t[t], abs(r2[t] / r[t] - 1))
            r['rel_change_per_arcsec'] = sens_c
            r['rel_change_per_arcsec_terms'] = sens_t
            r['tolerance_rel'] = dict(given_reference_radec=TOL, own_coordinates=max(TOL, 2 * sens_c),
                                      own_coordinates_terms={t: max(TOL, 2 * v) for t, v in sens_t.items()})
            results[c['name']] = dict(kind='subthreshold', combined=r)
            continue
        per, comb = ref.opa(sky, D, c['snr'], c['pipeline'], c['t_gw'], c['neutrinos'], bg)
        # How a 1″ error in every neutrino's RA/Dec moves the odds (4 directions, max |rel change|).
        sens, sens_c = [0.0] * len(per), 0.0
        # The terms separately too: a pair's p_h_s2 (product of two PSFs, narrower than a pixel at
        # NSIDE 64) moves much more with position than the odds it is a small part of.
        sens_t = [dict(p_h_s1=0.0, p_h_s2=0.0) for _ in per]
        for k in range(4):
            per2, comb2 = ref.opa(sky, D, c['snr'], c['pipeline'], c['t_gw'], c['neutrinos'], bg,
                                  radec=shifted_radecs(per, k))
            for i, (p, q) in enumerate(zip(per, per2)):
                if p['odds_ratio'] > 0:
                    sens[i] = max(sens[i], abs(q['odds_ratio'] / p['odds_ratio'] - 1))
                for t in sens_t[i]:
                    if p[t] > 0:
                        sens_t[i][t] = max(sens_t[i][t], abs(q[t] / p[t] - 1))
            if comb > 0:
                sens_c = max(sens_c, abs(comb2 / comb - 1))
        for p, s_, st in zip(per, sens, sens_t):
            p['rel_change_per_arcsec'] = s_
            p['rel_change_per_arcsec_terms'] = st
            p['tolerance_rel'] = dict(given_reference_radec=TOL, own_coordinates=max(TOL, 2 * s_),
                                      own_coordinates_terms={t: max(TOL, 2 * v) for t, v in st.items()})
        results[c['name']] = dict(kind='opa', neutrinos=per, combined=dict(
            odds_ratio=comb, rel_change_per_arcsec=sens_c,
            tolerance_rel=dict(given_reference_radec=TOL, own_coordinates=max(TOL, 2 * sens_c))))
    check(cs, results)
    assert bg.min_margin > 1e-9, bg.min_margin
    meta = dict(
        method='llama-3.5.1-opa (CoincSignificanceI3Lvc) and CoincSignificanceSubthresholdI3Lvc, as in '
               '/work/shared/reference/significance-351.md',
        generator='pipelines/llama/test-fixtures/significance-351/make_cases.py + reference.py',
        versions=dict(numpy=np.__version__, healpy=hp.__version__, astropy=__import__('astropy').__version__,
                      scipy=__import__('scipy').__version__),
        multiorder_rows=nmoc,
        background_sample=dict(file=BG, N=bg.N, median_energy_gev=bg.median,
                               min_relative_margin_of_any_count_window=bg.min_margin),
    )
    with open(os.path.join(HERE, 'cases.json'), 'w') as f:
        json.dump(dict(meta=meta, cases=cs), f, indent=1)
    with open(os.path.join(HERE, 'reference.json'), 'w') as f:
        json.dump(dict(meta=meta, results=results), f, indent=1)


if __name__ == '__main__':
    main()

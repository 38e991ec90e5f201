#!/usr/bin/python3
"""Independent reference implementation of LLAMA 3.5.1's joint GW+neutrino odds.

Written from /work/shared/reference/significance-351.md ("the spec" below; section and the
3.5.1 `file:line` it cites are given at each step) and its tables file
significance-351-tables.json, without reading the project's TypeScript. numpy + healpy +
astropy + scipy (Debian /usr/bin/python3: numpy 1.24, healpy 1.16, astropy 5.2.1, scipy 1.10).

Deliberate choices where the spec leaves room (each one is also stated in README.md):
- The energy integrals (N5, the pair's Pois(2) integral, the cWB distance average, the
  subthreshold integrals) are done NUMERICALLY with scipy.integrate.quad in u = ln E, so the
  closed forms of spec §3 are checked independently (closed_form_* below).
- The pair background loop (spec §3 "Background loop") starts from the search parameters
  (δω = 2.5°, ΔE = 0.3) for every second neutrino, not from the primary's widened windows
  (3.5.1 opa.py:443-444 resets them inside the loop over neutrino_i).
- The subthreshold densities (spec §6 "Pempnu_i, ε_i' as in OPA") CARRY the widened windows from
  one neutrino to the next: subthreshold.py:439-440 sets δω, ΔE once, before the loop over the
  neutrinos (463-508), which widens them in place (495-496); each neutrino's [minenu, maxenu]
  (480-481) uses the windows as the previous neutrino left them.
- median(E_bg) is numpy's median of the whole sample (mean of the two middle values for an
  even count).
- For cWB the SNR ρ given by the case is used (3.5.1 itself would raise KeyError reading
  CoincInspiral.snr, spec §1 row ρ); the odds do not depend on it (spec §3 "cWB branch").
"""
import functools
import json
import math
import os

import numpy as np
import healpy as hp
from scipy import integrate

HERE = os.path.dirname(os.path.abspath(__file__))
TABLES = os.environ.get('SIG351_TABLES', '/work/shared/reference/significance-351-tables.json')

# ---------------------------------------------------------------- spec §2: constants
NU_51_100 = 1.1                                  # utils.py:513-539, "Eq 10"
NDOTGWNU = 1500 / (365 * 24 * 3600) * 1e-9      # Mpc^-3 s^-1 ("Eq. 11")
FB = 10.0                                        # beaming factor
K0 = 400.8                                       # r = k0 Egw^0.5 / rho
TGW_PLUS, TGW_MINUS = 250.0, -250.0
TNU_PLUS, TNU_MINUS = 250.0, -250.0
RATEBGGW = 1 / 86400                             # Hz ("Eq. 30"), subthreshold only
RATEBGNU = 6.4e-3                                # Hz ("Eq. 30")
EGW_MAX, EGW_MIN = 18.7, 18.7e-4
ENU_MAX, ENU_MIN = 0.1, 1e-6
RHO_MIN = 5.59
DELTA_OMEGA = 2.5                                # deg of zenith, background half-window
DELTA_E = 0.3                                    # fractional linear energy half-window
R0 = K0 * math.sqrt(EGW_MAX) / RHO_MIN           # r0(Egwmax) = 310.06 Mpc, utils.py:39-42
V0 = 4 / 3 * math.pi * R0 ** 3                   # spec §6

with open(TABLES) as f:
    _tables = json.load(f)
AEFF_TABLE = _tables['aeff_lookup_table']
ANGLE_LIST = _tables['angle_list']


# ---------------------------------------------------------------- spec §2: priors and tables
def PEnu(E):
    """log-uniform E_nu prior, opa.py:185-203."""
    return 1 / (E * math.log(ENU_MAX / ENU_MIN))


def PEgw(E):
    """log-uniform E_gw prior, opa.py:164-182, no bounds check."""
    return 1 / (E * math.log(EGW_MAX / EGW_MIN))


def expnu(E, r):
    """expected signal count, opa.py:219-237: nu_51_100*(E*10)*(r/100)^-2."""
    return NU_51_100 * (E * 10) * (r / 100) ** -2


def angle_factor(theta_deg):
    """angle_list()[int(theta/5)] (utils.py:435-447); the neutrino's zenith, 5 deg bands."""
    return ANGLE_LIST[int(theta_deg / 5)]


def aeff(e, theta_deg):
    """Aeff(e, theta), utils.py:450-467, spec §2: first u in {5..16} with log10 e < u/2,
    coefficients (f_j, x_j) = table[u-1], A = 10^(f_j + 2 x_j (log10 e - u/2 + 0.5)),
    j = int(theta/10); e >= 1e8 GeV gives 1e-15 (table 'high_e' is all -15, x = 0).
    Vectorised over theta."""
    le = math.log10(e)
    theta_deg = np.asarray(theta_deg, dtype=float)
    j = (theta_deg / 10).astype(int)
    for u in range(5, 17):
        if le < u / 2:
            f, x = AEFF_TABLE[str(u - 1)]
            f = np.asarray(f)[j]
            x = np.asarray(x)[j]
            return 10 ** (f + 2 * x * (le - u / 2 + 0.5))
    return np.full(theta_deg.shape, 1e-15)


def pois(n, lam):
    return lam ** n * math.exp(-lam) / math.factorial(n)


def t_overlap(t_a, t_b):
    """utils.py:214-224, 'Eq. 5': overlap of [t_gw-250, t_gw+250] and [t_nu-250, t_nu+250]."""
    return max(0.0, min(t_a + TGW_PLUS, t_b + TNU_PLUS) - max(t_a + TGW_MINUS, t_b + TNU_MINUS))


# ---------------------------------------------------------------- numeric energy integrals
_QUAD = dict(epsabs=0.0, epsrel=1e-13, limit=200)


@functools.lru_cache(maxsize=None)
def energy_integral(n, k):
    """∫_{Enmin}^{Enmax} Pois(n; k E) PEnu(E) dE by quad in u = ln E (dE = E du).
    k = expnu(1, r) * a(theta), i.e. the count per unit E. Spec §3 N5 (n = 1), five2 (n = 2)."""
    f = lambda u: pois(n, k * math.exp(u)) * PEnu(math.exp(u)) * math.exp(u)
    val, err = integrate.quad(f, math.log(ENU_MIN), math.log(ENU_MAX), **_QUAD)
    return val


@functools.lru_cache(maxsize=None)
def cwb_distance_energy_integral(n, a, rho, weight_d2=False):
    """Spec §3 'cWB branch' (opa.py:85-88, 415-418): numerator ∫_0^{r0} PEgw((ρd/k0)²) d²
    ∫ Pois(n; expnu(E,d) a) PEnu dE dd and denominator ∫_0^{r0} PEgw((ρd/k0)²) d² dd.
    Returns (numerator, denominator), both by quad. (weight_d2 is for the subthreshold
    fivewogw integral, which weights by d² only, spec §6 "Eq. 58".)"""
    def inner(d):
        if d == 0.0:
            return 0.0  # Pois(n; ∞) = 0
        return energy_integral(n, expnu(1.0, d) * a)
    if weight_d2:
        num, _ = integrate.quad(lambda d: d * d * inner(d), 0.0, R0, epsabs=0.0, epsrel=1e-12, limit=200)
        return num, None
    w = lambda d: PEgw((rho * d / K0) ** 2) * d * d if d > 0 else K0 ** 2 / (rho ** 2 * math.log(EGW_MAX / EGW_MIN))
    num, _ = integrate.quad(lambda d: w(d) * inner(d), 0.0, R0, epsabs=0.0, epsrel=1e-12, limit=200)
    den, _ = integrate.quad(w, 0.0, R0, epsabs=0.0, epsrel=1e-13, limit=200)
    return num, den


# ---------------------------------------------------------------- closed forms (checks only)
def closed_form_I1(a, D):
    """Spec §3 'After the cancellations': I1 = (e^{-k Enmin} - e^{-k Enmax}) / ln(Enmax/Enmin),
    k = 11 a (100/D)²."""
    k = 11 * a * (100 / D) ** 2
    return (math.exp(-k * ENU_MIN) - math.exp(-k * ENU_MAX)) / math.log(ENU_MAX / ENU_MIN)


def closed_form_cwb_I1(a):
    """<I1>_{d~U[0,r0]} in closed form: ∫_0^R e^{-c/d²} dd = R e^{-c/R²} - sqrt(π c) erfc(sqrt(c)/R),
    with c = 11 a 1e4 E at E = Enmin, Enmax. Used only to check the numeric cWB average."""
    def g(E):
        c = 11 * a * 1e4 * E
        return R0 * math.exp(-c / R0 ** 2) - math.sqrt(math.pi * c) * math.erfc(math.sqrt(c) / R0)
    return (g(ENU_MIN) - g(ENU_MAX)) / (R0 * math.log(ENU_MAX / ENU_MIN))


def closed_form_wogw(a):
    """∫_0^{r0} d² ∫ Pois(1; expnu(E,d) a) PEnu dE dd in closed form (check of spec §6 fivewogw):
    ∫_0^R d² e^{-b/d²} dd = R³/3 e^{-b/R²} - (2b/3)(R e^{-b/R²} - sqrt(π b) erfc(sqrt(b)/R))."""
    def h(E):
        b = 11 * a * 1e4 * E
        g = R0 * math.exp(-b / R0 ** 2) - math.sqrt(math.pi * b) * math.erfc(math.sqrt(b) / R0)
        return R0 ** 3 / 3 * math.exp(-b / R0 ** 2) - 2 * b / 3 * g
    return (h(ENU_MIN) - h(ENU_MAX)) / math.log(ENU_MAX / ENU_MIN)


# ---------------------------------------------------------------- sky maps (spec §1 row P_k)
def read_skymap(path):
    """Returns (prob per NESTED pixel at the finest order, DISTMEAN). Flat maps: PROB as is, no
    renormalisation. Multi-order (UNIQ) maps: rasterised to their finest order the way
    ligo.skymap read_sky_map(nest=None) does, i.e. each finest pixel takes its parent's
    PROBDENSITY and PROB = PROBDENSITY × pixel area."""
    from astropy.table import Table
    t = Table.read(path, hdu=1)
    distmean = float(t.meta['DISTMEAN'])
    if 'UNIQ' in t.colnames:
        uniq = np.asarray(t['UNIQ'], dtype=np.int64)
        order = (np.log2(uniq // 4) // 2).astype(int)
        ipix = uniq - 4 * 4 ** order
        max_order = int(order.max())
        nside = 2 ** max_order
        prob = np.full(hp.nside2npix(nside), np.nan)
        dens = np.asarray(t['PROBDENSITY'], dtype=float)
        for o, p, d in zip(order, ipix, dens):
            shift = 4 ** (max_order - o)
            prob[p * shift:(p + 1) * shift] = d
        assert not np.isnan(prob).any(), 'multi-order map does not tile the sky'
        return prob * hp.nside2pixarea(nside), distmean
    prob = np.asarray(t['PROB'], dtype=float).ravel()
    assert t.meta.get('ORDERING', 'NESTED').upper() == 'NESTED'
    return prob, distmean


class Sky:
    """Pixel centres (NESTED) of a map, in degrees."""
    def __init__(self, prob):
        self.prob = prob
        self.nside = hp.npix2nside(len(prob))
        ra, dec = hp.pix2ang(self.nside, np.arange(len(prob)), nest=True, lonlat=True)
        self.ra, self.dec = ra, dec
        self.theta_ic = 90.0 + dec                    # θ = 90° + δ per pixel, Aeff_skymap utils.py:470-482
        self._sd, self._cd = np.sin(np.radians(dec)), np.cos(np.radians(dec))

    def psf(self, ra, dec, sigma):
        """Flat Gaussian at pixel centres, normalize=False (skymap.py:20-53, 599-638):
        exp(-ψ²/2σ²)/(2πσ²) in deg⁻², converted to sr⁻¹; ψ = arccos(sinδ sinδ' + cosδ cosδ' cosΔα)
        in degrees WITHOUT clipping (healpix/utils.py:28-60): a dot above 1 gives NaN."""
        dot = (self._sd * math.sin(math.radians(dec))
               + self._cd * math.cos(math.radians(dec)) * np.cos(np.radians(self.ra - ra)))
        with np.errstate(invalid='ignore'):
            psi = np.degrees(np.arccos(dot))
        return np.exp(-psi ** 2 / (2 * sigma ** 2)) / (2 * math.pi * sigma ** 2) * (180 / math.pi) ** 2


# ---------------------------------------------------------------- background density (spec §3)
class Background:
    def __init__(self, path):
        d = np.loadtxt(path, comments='#')
        self.theta = d[:, 6]                  # reconstructed zenith [deg] (thetabg)
        self.E = 10 ** d[:, 1]                # GeV (EGev)
        self.N = len(self.E)
        self.median = float(np.median(self.E))

    def band(self, theta_nu, domega=DELTA_OMEGA):
        sel = np.abs(theta_nu - self.theta) < domega
        return self.E[sel]

    def count(self, theta, domega, eps, dE):
        dth = np.abs(theta - self.theta)
        den = np.abs(eps - self.E)
        # Smallest distance of any sample point from a window edge, relative to the window (zenith)
        # and to ε' (energy), and of ε' from the median: if these are far above 1e-12, a consumer
        # that rounds differently in the last bit cannot count differently.
        m = min(float(np.min(np.abs(dth - domega))) / domega, float(np.min(np.abs(den - dE * eps))) / eps,
                abs(eps - self.median) / self.median)
        self.min_margin = min(getattr(self, 'min_margin', math.inf), m)
        return int(np.count_nonzero((dth < domega) & (den < dE * eps)))

    @staticmethod
    def solid_angle(theta, domega):
        return 2 * math.pi * abs(math.cos(math.radians(theta - domega)) - math.cos(math.radians(theta + domega)))

    def primary(self, theta_nu, e_nu, domega=DELTA_OMEGA, dE=DELTA_E):
        """opa.py:356-398. Returns dict with Pempnu and the adjusted energy ε' (after the
        E^-3.7 block, which is what five() receives, opa.py:477), plus diagnostics.
        domega/dE: the starting windows; OPA starts from the search parameters, subthreshold.py
        starts each neutrino from the windows the previous one ended with (439-440, 495-496)."""
        band = self.band(theta_nu, domega)
        minenu, maxenu = float(band.min()), float(band.max())          # opa.py:359-360, sub.py:480-481
        eps = max(e_nu, minenu)                                          # opa.py:364-365
        steps = 0
        while True:                                                      # opa.py:372-389
            C = self.count(theta_nu, domega, eps, dE)
            if C >= 5:
                break
            dE *= 1.5
            domega *= 1.5
            eps = eps * 10 if eps < self.median else eps / 10
            steps += 1
        f_E = 1.0
        eps_counted = eps
        if theta_nu > 80 and e_nu > eps:                                 # opa.py:390-393
            f_E = (e_nu / eps) ** 3.7
            eps = e_nu
        pemp = C / (self.N * self.solid_angle(theta_nu, domega) * 2 * dE * eps) / f_E   # opa.py:396
        return dict(Pempnu=pemp, eps=eps, eps_counted=eps_counted, C=C, steps=steps, f_E=f_E,
                    domega=domega, dE=dE, minenu=minenu, maxenu=maxenu)

    def secondary(self, theta_j, e_j, minenu_i, maxenu_i):
        """opa.py:449-474, with 3.5.1's loop quirk: the loop tests the primary's Pempnu (< 5,
        always true), so after every count the windows grow ×1.5 and ε_j' moves ×/÷10, and the
        loop stops when C2 >= 5 with one extra widening already applied."""
        eps = min(max(e_j, minenu_i), maxenu_i)                          # opa.py:449-453
        domega, dE = DELTA_OMEGA, DELTA_E
        counts = 0
        while True:                                                      # opa.py:457-469
            C2 = self.count(theta_j, domega, eps, dE)
            counts += 1
            # `if(Pempnu<5)`: always true
            dE *= 1.5
            domega *= 1.5
            eps = eps * 10 if eps < self.median else eps / 10
            if C2 >= 5:
                break
        f_E2 = 1.0
        eps_after_loop = eps
        if theta_j > 80 and e_j > eps:                                   # opa.py:470-473
            f_E2 = (e_j / eps) ** 3.7
            eps = e_j
        pemp2 = C2 / (self.N * self.solid_angle(theta_j, domega) * 2 * dE * eps) / f_E2   # opa.py:474
        return dict(Pempnu2=pemp2, eps=eps, eps_after_loop=eps_after_loop, C2=C2, counts=counts,
                    f_E2=f_E2, domega=domega, dE=dE)


# ---------------------------------------------------------------- neutrino coordinates (spec §1)
def nu_radec(mjd, zenith, azimuth):
    """zen_az2ra_dec (files/i3/json.py:708-715, files/i3/utils.py:8-13, 59-68): AltAz(alt=90-zen,
    az=(90-az)-lon, obstime=Time(mjd, scale='ut1'), location=(lat -89.9944°, lon -62.6081°, 0 m),
    pressure=0) -> ICRS."""
    import astropy.units as u
    from astropy.coordinates import AltAz, EarthLocation, ICRS, SkyCoord
    from astropy.time import Time
    from astropy.utils import iers
    iers.conf.auto_download = False
    iers.conf.iers_degraded_accuracy = 'ignore'
    site = EarthLocation(lat=-89.9944 * u.deg, lon=-62.6081 * u.deg, height=0 * u.m)
    altaz = AltAz(alt=(90 - zenith) * u.deg, az=(90 - azimuth) * u.deg - site.lon,
                  obstime=Time(mjd, format='mjd', scale='ut1'), location=site, pressure=0)
    c = SkyCoord(altaz).transform_to(ICRS())
    return float(c.ra.deg), float(c.dec.deg)


def mjd2gps(mjd):
    """files/i3/json.py:702-705, utils.py:744-747: astropy Time(mjd, format='mjd').gps (UTC)."""
    from astropy.time import Time
    return float(Time(mjd, format='mjd').gps)


# ---------------------------------------------------------------- spec §3: OPA odds
def sanitize(x):
    """opa.py:591-601: non-finite (but not +inf) or negative -> 0; -0.0 -> 0."""
    if x == math.inf:
        return x
    if not math.isfinite(x) or x < 0:
        return 0.0
    return x + 0.0 if x != 0 else 0.0


def opa(sky, D, rho, pipeline, t_gw, neutrinos, bg, radec=None):
    """CoincSignificanceI3Lvc odds. neutrinos: list of dicts {mjd, zenith, azimuth, energy,
    sigma}. radec: optional list of (ra, dec) to use instead of the astropy transform (for the
    coordinate-sensitivity estimate). Returns (per-neutrino list, combined odds)."""
    cwb = pipeline == 'CWB'                                              # opa.py:554
    n = len(neutrinos)
    nus = []
    for i, nu in enumerate(neutrinos):
        ra, dec = radec[i] if radec is not None else nu_radec(nu['mjd'], nu['zenith'], nu['azimuth'])
        nus.append(dict(nu, ra=ra, dec=dec, t=mjd2gps(nu['mjd'])))
    psfs = [sky.psf(v['ra'], v['dec'], v['sigma']) for v in nus]
    count = np.zeros((n, n), dtype=int)                                  # pair bookkeeping, opa.py:446-448
    T_NORM = (TNU_PLUS - TNU_MINUS) * (TGW_PLUS - TGW_MINUS)             # 500²
    out = []
    for i, v in enumerate(nus):
        b = bg.primary(v['zenith'], v['energy'])
        a = angle_factor(v['zenith'])
        eps = b['eps']
        A_i = aeff(eps, sky.theta_ic)
        S = float(np.sum(sky.prob * A_i * psfs[i]))                      # opa.py:90-98 (fA = 1)
        T = t_overlap(t_gw, v['t'])
        if cwb:
            num, den = cwb_distance_energy_integral(1, a, rho)
            N5 = num                                                     # opa.py:85-88
            dist_c = den                                                 # opa.py:415-418
            I1_num = num / den
            I1_cf = closed_form_cwb_I1(a)
        else:
            I1_num = energy_integral(1, expnu(1.0, D) * a)
            N5 = PEgw((D * rho / K0) ** 2) * D ** 2 * I1_num             # opa.py:82-84
            dist_c = D ** 2 * PEgw((rho * D / K0) ** 2)                  # opa.py:412-414
            I1_cf = closed_form_I1(a, D)
        five = S * T * N5 / T_NORM                                       # opa.py:89, 99-100
        p_h_s1 = five * NDOTGWNU / FB                                    # opa.py:477
        p_h_gw_c = RATEBGNU * NDOTGWNU                                   # opa.py:410-411
        p_h_c = dist_c * b['Pempnu'] * p_h_gw_c                          # opa.py:412-414, 482
        p_h_0 = 0.0                                                      # opa.py:400-402, 480-481
        # Pairs, opa.py:439-479
        p_h_s2 = 0.0
        pairs = []
        for j, w in enumerate(nus):
            if j == i:
                continue
            sep = math.hypot(v['zenith'] - w['zenith'], v['azimuth'] - w['azimuth'])
            if count[i, j] == 0 and sep < 5 * (v['sigma'] + w['sigma']):  # opa.py:446
                count[i, j] = count[j, i] = 1                             # opa.py:447-448
                b2 = bg.secondary(w['zenith'], w['energy'], b['minenu'], b['maxenu'])
                A_j = aeff(b2['eps'], sky.theta_ic)
                S2 = float(np.sum(sky.prob * A_i * A_j * psfs[i] * psfs[j]))
                ts = (t_gw, v['t'], w['t'])
                T2 = t_overlap(max(ts), min(ts))
                a2 = ANGLE_LIST[int((v['zenith'] + w['zenith']) / 10)]
                if cwb:
                    # five2 has no cWB branch in the spec; no case exercises it.
                    raise NotImplementedError('pair term on the cWB branch is not specified')
                I2 = energy_integral(2, expnu(1.0, D) * a2)
                five2 = S2 * T2 / T_NORM * PEgw((D * rho / K0) ** 2) * D ** 2 * I2   # opa.py:146-161
                term = five2 / b2['Pempnu2'] * NDOTGWNU / FB                # opa.py:475, 479
                p_h_s2 += term
                pairs.append(dict(j=j, separation_local_deg=sep, S2=S2, T2=T2, a2=a2, I2=I2,
                                  five2=five2, p_h_s2_term=term, **{k: b2[k] for k in b2}))
        raw = (p_h_s1 + p_h_s2) / (p_h_c + p_h_0)                        # opa.py:484
        odds = sanitize(raw)
        odds_single_cf = S * (500 - abs(v['t'] - t_gw)) / 500 ** 2 * I1_cf / (FB * RATEBGNU * b['Pempnu'])
        if T == 0:
            odds_single_cf = 0.0  # max(0, ...) of t_overlap
        odds_single = p_h_s1 / p_h_c
        rel = abs(odds_single - odds_single_cf) / abs(odds_single_cf) if odds_single_cf else abs(odds_single)
        out.append(dict(
            ra=v['ra'], dec=v['dec'], t_gps=v['t'], dt=v['t'] - t_gw, sigma=v['sigma'], energy=v['energy'],
            adjusted_energy=eps, Pempnu=b['Pempnu'], p_h_s1=p_h_s1, p_h_s2=p_h_s2, p_h_0=p_h_0, p_h_c=p_h_c,
            odds_ratio=odds,
            closed_form=dict(odds_single=odds_single_cf, odds_single_full=odds_single, rel_diff=rel,
                             I1_numeric=I1_num, I1_closed_form=I1_cf),
            diagnostics=dict(S=S, T=T, a=a, background={k: b[k] for k in b if k not in ('Pempnu', 'eps')},
                             pairs=pairs)))
    combined = sum(o['odds_ratio'] for o in out)
    return out, combined


# ---------------------------------------------------------------- spec §6: subthreshold
def pempgw(rho, snrs):
    """utils.py:117-145: 50 bins between min and max; bin of ρ (the last if above the max);
    max(count, 1)/N/(max-min)*50."""
    snrs = np.asarray(snrs, dtype=float)
    lo, hi = float(snrs.min()), float(snrs.max())
    counts, edges = np.histogram(snrs, bins=50, range=(lo, hi))
    # 3.5.1: i = 1; while ρ > edges[i]: i += 1 (stop at the last edge); bin i − 1. So ρ on an
    # edge belongs to the bin below it, ρ ≤ min to bin 0, ρ > max to the last bin.
    k = int(np.searchsorted(edges, rho, side='left') - 1)
    k = min(max(k, 0), 49)
    return max(int(counts[k]), 1) / len(snrs) / (hi - lo) * 50, k, int(counts[k])


def subthreshold(sky, D, rho, pipeline, t_gw, neutrinos, bg, snrs, p_terr, radec=None):
    cwb = pipeline == 'CWB'
    N = len(neutrinos)
    lam500 = RATEBGNU * 500
    pg, gbin, gcount = pempgw(rho, snrs)
    p_xgw_H0 = ((pg * RATEBGGW + 3 * RHO_MIN ** 3 / rho ** 4 * V0 * NDOTGWNU) * p_terr
                / (RATEBGGW + V0 * NDOTGWNU))                             # sub.py:451
    five_sky = np.zeros_like(sky.prob)
    wogw = 0.0
    per = []
    domega, dE = DELTA_OMEGA, DELTA_E                                    # sub.py:439-440: once, not per neutrino
    for i, nu in enumerate(neutrinos):
        ra, dec = radec[i] if radec is not None else nu_radec(nu['mjd'], nu['zenith'], nu['azimuth'])
        t = mjd2gps(nu['mjd'])
        b = bg.primary(nu['zenith'], nu['energy'], domega, dE)           # sub.py:463-508 (as OPA, windows carried)
        domega, dE = b['domega'], b['dE']
        a = angle_factor(nu['zenith'])
        I1 = energy_integral(1, expnu(1.0, D) * a)
        A = aeff(b['eps'], sky.theta_ic)
        G = sky.psf(ra, dec, nu['sigma'])
        five_sky += t_overlap(t_gw, t) / b['Pempnu'] * I1 * A * G          # sub.py:72-136
        Iwogw, _ = cwb_distance_energy_integral(1, a, rho, weight_d2=True)  # ∫∫ Pois PEnu d² dE dd
        Ghat = G / np.sum(G)
        wogw += float(np.sum(Iwogw / b['Pempnu'] * A * Ghat))             # sub.py:194-233, "Eq. 58"
        per.append(dict(ra=ra, dec=dec, t_gps=t, dt=t - t_gw, adjusted_energy=b['eps'], Pempnu=b['Pempnu'],
                        background={k: b[k] for k in b if k not in ('Pempnu', 'eps')},
                        I1=I1, I1_closed_form=closed_form_I1(a, D), I_wogw=Iwogw,
                        I_wogw_closed_form=closed_form_wogw(a)))
    if cwb:
        gw_factor = 1.0                                                   # sub.py:119-128
    else:
        gw_factor = PEgw((D * rho / K0) ** 2) * D * (EGW_MAX - EGW_MIN) * K0 ** 2 / rho ** 2
    five = float(np.sum(sky.prob * five_sky)) * gw_factor / 500 ** 2
    p_h_s1 = five * NDOTGWNU * pois(N - 1, lam500)                       # sub.py:521
    p_h0_all = p_xgw_H0 * pois(N, lam500) / V0                           # sub.py:525-528
    p_xgw_xnu_c = (D * PEgw((rho * D / K0) ** 2) * pois(N, lam500)
                   * (EGW_MAX - EGW_MIN) * K0 ** 2 / rho ** 2)            # sub.py:530-532
    p_h_c = p_xgw_xnu_c * NDOTGWNU + p_xgw_H0 * wogw * NDOTGWNU * pois(N - 1, lam500)   # sub.py:542
    odds = sanitize(p_h_s1 / (p_h_c + p_h0_all))                         # sub.py:544
    return dict(odds_ratio=odds, p_h_s1=p_h_s1, p_h_s2=0.0, p_h_0=p_h0_all, p_h_c=p_h_c,
                diagnostics=dict(Pempgw=pg, Pempgw_bin=gbin, Pempgw_count=gcount, p_xgw_H0=p_xgw_H0,
                                 five=five, fivewogw=wogw, p_xgw_xnu_c=p_xgw_xnu_c, neutrinos=per))

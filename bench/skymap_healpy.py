"""The healpy/astropy/numpy side of bench/skymap.mjs: the same reading and summarising work.

Usage: python3 skymap_healpy.py REPEAT FLAT.fits FLAT.fits.gz MOC.multiorder.fits
Flat maps: healpy.read_map(field=None, nest=True). Multi-order: astropy Table.read (healpy has no
NUNIQ reader). Summary: 50/90% areas (crossing pixel included), max-probability direction,
distance moments of the per-pixel ansatz, density at two directions.
"""
import sys
import time

import healpy as hp
import numpy as np
from astropy.table import Table
from scipy.special import erfc

PROBES = [(150.5, 19.5), (300.0, -60.0)]


def pixel_moments(mu, sigma):
    """E(r) and E(r^2) of r^2 N(r; mu, sigma) on r > 0 (no erfcx trick: fine for this map)."""
    a = mu / sigma
    phi = np.exp(-0.5 * a * a) / np.sqrt(2 * np.pi)
    j0 = 1 - 0.5 * erfc(a / np.sqrt(2))
    j1 = phi
    j2 = j0 - a * j1
    j3 = (a * a + 2) * j1
    j4 = 3 * j0 - (a ** 3 + 3 * a) * j1
    m2 = a * a * j0 + 2 * a * j1 + j2
    m3 = a ** 3 * j0 + 3 * a * a * j1 + 3 * a * j2 + j3
    m4 = a ** 4 * j0 + 4 * a ** 3 * j1 + 6 * a * a * j2 + 4 * a * j3 + j4
    return sigma * m3 / m2, sigma * sigma * m4 / m2


def summarise(prob, density, area_sr, mu, sigma, order, ipix, max_order):
    rank = np.argsort(-density, kind="stable")
    cumulative = np.cumsum(prob[rank])
    areas = []
    for level in (0.5, 0.9):
        k = np.searchsorted(cumulative, level * cumulative[-1]) + 1
        areas.append(area_sr[rank[:k]].sum() * (180 / np.pi) ** 2)
    best = np.argmax(density)
    finest = ipix[best] * 4 ** (max_order - order[best])
    theta, phi = hp.pix2ang(2 ** max_order, int(finest), nest=True)
    good = np.isfinite(mu) & (sigma > 0) & (prob > 0)
    mean, second = pixel_moments(mu[good], sigma[good])
    weight = prob[good].sum()
    dist_mean = (prob[good] * mean).sum() / weight
    dist_std = np.sqrt((prob[good] * second).sum() / weight - dist_mean ** 2)
    return areas, np.degrees(phi), 90 - np.degrees(theta), dist_mean, dist_std


def clock():
    return time.perf_counter(), time.process_time()


def since(t):
    return time.perf_counter() - t[0], time.process_time() - t[1]


def flat(path):
    t0 = clock()
    prob, mu, sigma, _norm = hp.read_map(path, field=None, nest=True, dtype=np.float64)
    read = since(t0)
    t1 = clock()
    nside = hp.npix2nside(len(prob))
    max_order = int(np.log2(nside))
    area = hp.nside2pixarea(nside)
    density = prob / area
    n = len(prob)
    result = summarise(prob, density, np.full(n, area), mu, sigma, np.full(n, max_order), np.arange(n), max_order)
    for ra, dec in PROBES:
        density[hp.ang2pix(nside, ra, dec, nest=True, lonlat=True)]
    return read, since(t1), len(prob), result


def multiorder(path):
    t0 = clock()
    table = Table.read(path)
    uniq = np.asarray(table["UNIQ"], dtype=np.int64)
    density = np.asarray(table["PROBDENSITY"], dtype=np.float64)
    mu = np.asarray(table["DISTMU"], dtype=np.float64)
    sigma = np.asarray(table["DISTSIGMA"], dtype=np.float64)
    order = (np.log2(uniq).astype(np.int64) // 2) - 1
    ipix = uniq - 4 * 4 ** order
    read = since(t0)
    t1 = clock()
    max_order = int(order.max())
    area = 4 * np.pi / (12 * 4.0 ** order)
    prob = density * area
    result = summarise(prob, density, area, mu, sigma, order, ipix, max_order)
    starts = ipix * 4 ** (max_order - order)
    sort = np.argsort(starts)
    for ra, dec in PROBES:
        finest = hp.ang2pix(2 ** max_order, ra, dec, nest=True, lonlat=True)
        density[sort[np.searchsorted(starts[sort], finest, side="right") - 1]]
    return read, since(t1), len(uniq), result


def main():
    repeat = int(sys.argv[1])
    paths = sys.argv[2:5]
    print(f"healpy {hp.__version__} / numpy {np.__version__} (python {sys.version.split()[0]}), best of {repeat}; seconds wall (cpu):")
    print("file                              pixels          read         summary  area90 deg²  distmean")
    for label, path in zip(("flat", "flatGz", "moc"), paths):
        runs = [(multiorder if label == "moc" else flat)(path) for _ in range(repeat)]
        fmt = lambda k: "%.2f (%.2f)" % (min(r[k][0] for r in runs), min(r[k][1] for r in runs))
        pixels, result = runs[0][2], runs[0][3]
        print(f"{label:<31} {pixels:>9} {fmt(0):>13} {fmt(1):>15} {result[0][1]:>12.2f} {result[3]:>9.2f}")


main()

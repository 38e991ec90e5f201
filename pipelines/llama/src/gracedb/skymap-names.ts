/**
 * Standard GW skymap file names: 3.5.1's set ({cWB, bayestar, lalinference,
 * lalinference.offline, LALInference, LALInference.offline} × {.multiorder.fits, .fits.gz,
 * .fits}) plus the O4 names (Bilby, Bilby.offline0, cwb, olib, mly, amplfi, …).
 */

const PRODUCERS = ['bayestar', 'Bilby', 'bilby', 'cWB', 'cwb', 'olib', 'mly', 'amplfi', 'lalinference', 'LALInference'];
const EXTENSIONS = ['.multiorder.fits', '.fits.gz', '.fits'];
/** A producer, optional qualifiers (`.offline`, `.offline0`, `_pycbc`), then an extension. */
const STANDARD = new RegExp(
  `^(?:${PRODUCERS.join('|')})(?:[._][A-Za-z0-9]+)*?(?:${EXTENSIONS.map((e) => e.replaceAll('.', '\\.')).join('|')})$`,
);

export function isStandardSkymapName(name: string): boolean {
  return STANDARD.test(name);
}

/** 3.5.1 also required a FITS extension for anything LvcSkymapFits downloads. */
export function isFitsName(name: string): boolean {
  return name.endsWith('.fits') || name.endsWith('.fits.gz');
}

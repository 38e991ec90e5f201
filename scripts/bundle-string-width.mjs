// A rolldown plugin for scripts/bundle.mjs (a module of its own so that tests can check stringWidthAscii).

/**
 * string-width (three copies: yargs', cliui's, wrap-ansi's) sets up, when imported, an
 * Intl.Segmenter and Unicode-property regexes (/\p{…}/v), ~20 ms of ICU work on every start,
 * though yargs only measures ASCII help lines. So in the bundle each copy answers ASCII text
 * itself and runs its own code (set-up included) on the first other text. For ASCII without ESC
 * (which may start an ANSI sequence) every copy gives one column per printable character,
 * 0x20–0x7E, and none for control characters (string-width 8 has the printable-only fast path
 * itself); test/run/bundle.test.ts compares both on generated strings.
 */
export const stringWidthOnDemand = {
  name: 'llama-string-width-on-demand',
  transform(code, id) {
    if (!/[\\/]string-width[\\/]index\.js$/.test(id)) return null;
    const imports = code.match(/^import [^;]+;$/gm) ?? [];
    const exported = /^export default function stringWidth\(/m;
    if (imports.length === 0 || !exported.test(code) || /^export (?!default function stringWidth\()/m.test(code)) {
      this.error(`${id}: not the string-width layout scripts/bundle.mjs expects (imports, then one default-exported stringWidth); update it`);
    }
    let body = code;
    for (const line of imports) body = body.replace(line, '');
    body = body.replace(exported, 'function stringWidth(');
    return {
      code: [
        ...imports,
        stringWidthAscii.toString(),
        'let fullStringWidth;',
        'export default function stringWidth(input, options) {',
        '  const ascii = stringWidthAscii(input);',
        '  if (ascii !== undefined) return ascii;',
        `  fullStringWidth ??= (() => {\n${body}\nreturn stringWidth;\n})();`,
        '  return fullStringWidth(input, options);',
        '}',
      ].join('\n'),
      map: null,
    };
  },
};

/** string-width of ASCII text without ESC: its printable characters; undefined for other text. */
export function stringWidthAscii(input) {
  if (typeof input !== 'string') return undefined;
  let width = 0;
  for (let i = 0; i < input.length; i++) {
    const code = input.charCodeAt(i);
    if (code > 0x7f || code === 0x1b) return undefined;
    if (code >= 0x20 && code < 0x7f) width++;
  }
  return width;
}

/**
 * Whether two spellings are the same person's name, as a hospital's system and the registry write
 * it: Unicode NFKC (full-width letters and spaces fold), no whitespace, and every variant of the
 * middle dot of transcribed names (·, •, ・, ., U+00B7 / U+2022 / U+30FB / U+FF0E) as one.
 */
export function sameName(a: string, b: string): boolean {
  return normalName(a) === normalName(b) && normalName(a) !== '';
}

const DOTS = /[\u00B7\u2022\u2027\u30FB\uFF0E.\u2219]/g;

export function normalName(s: string): string {
  return s.normalize('NFKC').replace(/\s+/g, '').replace(DOTS, '·').toLowerCase();
}

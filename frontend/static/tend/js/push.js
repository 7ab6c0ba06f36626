// PUSH Tool 3.0, as the server computes it (tracker/services/reviews.py): the nurse sees the score
// as she types; the server's answer is the one stored.
const AREA = [[0.6, 2], [1.0, 3], [2.0, 4], [3.0, 5], [4.0, 6], [8.0, 7], [12.0, 8], [24.0, 9]];
export const EXUDATE = { none: 0, light: 1, moderate: 2, heavy: 3 };
export const TISSUE = { closed: 0, epithelial: 1, granulation: 2, slough: 3, necrotic: 4 };

export function area(length, width) {
  return Math.round(length * width * 100) / 100;
}

export function areaPoints(value) {
  if (!(value > 0)) return 0;
  if (value < 0.3) return 1;
  for (const [upper, points] of AREA) if (value <= upper) return points;
  return 10;
}

export function pushScore(length, width, exudate, tissue) {
  if (!(length >= 0 && width >= 0) || !(exudate in EXUDATE) || !(tissue in TISSUE)) return null;
  return areaPoints(area(length, width)) + EXUDATE[exudate] + TISSUE[tissue];
}

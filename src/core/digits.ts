/** Decimal digits of a non-negative integer (the length of a key index written in a key name). */
export function digits(n: number): number {
  let d = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    d++;
  }
  return d;
}

/*
 * Redis Cluster's key → hash slot mapping (cluster.c keyHashSlot, crc16.c): CRC16-XMODEM (polynomial
 * 0x1021, initial value 0, no reflection) of the key's bytes, modulo 16 384. With a hash tag only the tag
 * is hashed: the bytes between the first '{' and the first '}' after it, provided there is at least one
 * byte between them; `{}` (an empty tag), a '{' with no '}' after it, or no '{' at all hash the whole key.
 * So `{user1000}.following` and `{user1000}.followers` share a slot, `foo{}{bar}` hashes all of itself
 * and `foo{{bar}}zap` hashes `{bar`.
 */

/** Hash slots of a Redis Cluster (CLUSTER_SLOTS). */
export const CLUSTER_SLOTS = 16_384;

const OPEN = 0x7b; // '{'
const CLOSE = 0x7d; // '}'

/** CRC16-XMODEM, byte at a time, from a 256-entry table (crc16.c's crc16tab, computed here). */
const TABLE = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 8;
    for (let b = 0; b < 8; b++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff;
    t[i] = c;
  }
  return t;
})();

/** The CRC16 state after one more byte. */
export function crc16Byte(crc: number, byte: number): number {
  return ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ byte) & 0xff];
}

/** CRC16-XMODEM of bytes[start, end). */
export function crc16(bytes: ArrayLike<number>, start = 0, end = bytes.length, crc = 0): number {
  for (let i = start; i < end; i++) crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ bytes[i]) & 0xff];
  return crc;
}

/** The hash slot of the key made of bytes[start, end) (cluster.c keyHashSlot). */
export function keyHashSlotBytes(bytes: ArrayLike<number>, start = 0, end = bytes.length): number {
  let s = start;
  while (s < end && bytes[s] !== OPEN) s++;
  if (s < end) {
    let e = s + 1;
    while (e < end && bytes[e] !== CLOSE) e++;
    // a tag only when '}' follows and something lies between
    if (e < end && e !== s + 1) return crc16(bytes, s + 1, e) & (CLUSTER_SLOTS - 1);
  }
  return crc16(bytes, start, end) & (CLUSTER_SLOTS - 1);
}

const utf8 = new TextEncoder();

/** The hash slot of a key name (its UTF-8 bytes, as a client sends them). */
export function keyHashSlot(key: string): number {
  // ASCII names (every generated one) need no encoding
  let ascii = true;
  for (let i = 0; i < key.length; i++)
    if (key.charCodeAt(i) > 0x7f) {
      ascii = false;
      break;
    }
  if (!ascii) return keyHashSlotBytes(utf8.encode(key));
  const n = key.length;
  let s = 0;
  while (s < n && key.charCodeAt(s) !== OPEN) s++;
  let start = 0, end = n;
  if (s < n) {
    let e = s + 1;
    while (e < n && key.charCodeAt(e) !== CLOSE) e++;
    if (e < n && e !== s + 1) {
      start = s + 1;
      end = e;
    }
  }
  let crc = 0;
  for (let i = start; i < end; i++) crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ key.charCodeAt(i)) & 0xff];
  return crc & (CLUSTER_SLOTS - 1);
}

/**
 * The CRC16 state after the ASCII decimal digits of a non-negative integer `n` (no allocation): for key
 * names `<prefix>:<index>`, whose prefix's CRC is computed once.
 */
export function crc16Decimal(crc: number, n: number): number {
  if (n < 10) return crc16Byte(crc, 0x30 + n);
  let div = 1;
  while (div * 10 <= n) div *= 10;
  for (; div >= 1; div /= 10) {
    const d = Math.floor(n / div) % 10;
    crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ (0x30 + d)) & 0xff];
  }
  return crc;
}

/** The CRC16 state after an ASCII string. */
export function crc16Ascii(crc: number, s: string): number {
  for (let i = 0; i < s.length; i++) crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ s.charCodeAt(i)) & 0xff];
  return crc;
}

/**
 * redis-cli --cluster create's split of the slots among `masters` masters (redis-cli.c
 * clusterManagerCommandCreate): master i gets first..last with last = lround(cursor + per − 1), per =
 * 16384 / masters as a float, the last master up to 16383. Three masters: 0–5460, 5461–10922, 10923–16383.
 * Returns slot → master index.
 */
export function evenSlots(masters: number): Uint16Array {
  const owner = new Uint16Array(CLUSTER_SLOTS);
  const per = Math.fround(CLUSTER_SLOTS / masters);
  let first = 0, cursor = 0;
  for (let i = 0; i < masters; i++) {
    let last = lround(Math.fround(cursor + per - 1));
    if (last > CLUSTER_SLOTS || i === masters - 1) last = CLUSTER_SLOTS - 1;
    if (last < first) last = first;
    owner.fill(i, first, last + 1);
    first = last + 1;
    cursor = Math.fround(cursor + per);
  }
  return owner;
}

/** C's lround: halves away from zero. */
function lround(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

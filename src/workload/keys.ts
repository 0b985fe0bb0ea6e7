import { digits } from "../core/digits.ts";
import { CLUSTER_SLOTS, crc16Ascii, crc16Decimal, keyHashSlot } from "../cluster/slots.ts";
import { TAG_FIXED, TAG_GROUP } from "../cluster/config.ts";
import type { ClassPlan } from "./config.ts";

/*
 * The names of a class's generated keys, their length (which fixes their memory) and their hash slot
 * (cluster/slots.ts), all from the class and the key's index, without making the string on the hot path:
 *   no tag           <prefix>:<index>
 *   keys-per-tag N   {<prefix>:<index div N>}:<index>   (N consecutive keys share a slot)
 *   a fixed tag T    {T}:<prefix>:<index>               (every key of the class in one slot)
 */

/** The name of key `index` of class `c` (what `sim replay` sends). */
export function keyName(c: ClassPlan, index: number): string {
  const t = c.hashTag;
  if (t.kind === TAG_GROUP) return `{${c.prefix}:${Math.floor(index / t.keysPerTag)}}:${index}`;
  if (t.kind === TAG_FIXED) return `{${t.tag}}:${c.prefix}:${index}`;
  return `${c.prefix}:${index}`;
}

/** The length in bytes of keyName(c, index). */
export function keyLength(c: ClassPlan, index: number): number {
  const t = c.hashTag;
  if (t.kind === TAG_GROUP) return c.prefix.length + digits(Math.floor(index / t.keysPerTag)) + digits(index) + 4;
  if (t.kind === TAG_FIXED) return utf8Length(t.tag) + c.prefix.length + digits(index) + 4;
  return c.prefix.length + 1 + digits(index);
}

/** The hash slots of a class's keys, computed from its names' fixed parts once. */
export class ClassSlots {
  private readonly kind: number;
  private readonly per: number;
  /** CRC16 after "<prefix>:" (no tag, or the group tag's inside); the fixed tag's slot. */
  private readonly crcPrefix: number;
  private readonly fixedSlot: number;
  private readonly ascii: boolean;
  private readonly c: ClassPlan;

  constructor(c: ClassPlan) {
    this.c = c;
    this.kind = c.hashTag.kind;
    this.per = c.hashTag.keysPerTag;
    this.ascii = !/[^\x00-\x7f]/.test(c.prefix);
    this.crcPrefix = this.ascii ? crc16Ascii(0, `${c.prefix}:`) : 0;
    this.fixedSlot = this.kind === TAG_FIXED ? keyHashSlot(`{${c.hashTag.tag}}`) : 0;
  }

  /** The hash slot of key `index`. */
  slot(index: number): number {
    if (this.kind === TAG_FIXED) return this.fixedSlot;
    // a prefix with braces or non-ASCII bytes: hash the name itself (Redis's tag rules apply to it)
    if (!this.ascii || /[{}]/.test(this.c.prefix)) return keyHashSlot(keyName(this.c, index));
    const n = this.kind === TAG_GROUP ? Math.floor(index / this.per) : index;
    return crc16Decimal(this.crcPrefix, n) & (CLUSTER_SLOTS - 1);
  }
}

function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c < 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

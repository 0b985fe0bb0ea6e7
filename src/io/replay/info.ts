/** Parses the text of INFO into field → value (all sections); `dbN:keys=…` lines are summed into keys/expires. */
export function parseInfo(text: string): Map<string, string> {
  const m = new Map<string, string>();
  let keys = 0, expires = 0;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const i = line.indexOf(":");
    if (i < 0) continue;
    const k = line.slice(0, i), v = line.slice(i + 1);
    m.set(k, v);
    if (/^db\d+$/.test(k)) {
      const f = Object.fromEntries(v.split(",").map((p) => p.split("=")));
      keys += Number(f.keys ?? 0);
      expires += Number(f.expires ?? 0);
    }
  }
  m.set("__keys", String(keys));
  m.set("__expires", String(expires));
  return m;
}

export function num(info: Map<string, string>, k: string): number {
  const v = info.get(k);
  return v === undefined ? NaN : Number(v);
}

/** A typed array's contents copied into a larger one of the same kind (`b`), which is returned. */
export function grownInto<T extends Float64Array | Float32Array | Int32Array | Uint32Array | Uint16Array | Uint8Array>(a: T, b: T): T {
  b.set(a as never);
  return b;
}

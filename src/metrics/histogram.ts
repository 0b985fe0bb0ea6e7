import * as hdr from "hdr-histogram-js";

/**
 * A latency histogram (HDR: 3 significant digits, values in µs, auto-resizing), in hdr-histogram-js's
 * JavaScript implementation: no WebAssembly, so it runs the same in Node and in the browser.
 */
export function latencyHistogram() {
  return hdr.build({ bitBucketSize: 32, autoResize: true, lowestDiscernibleValue: 1, numberOfSignificantValueDigits: 3, useWebAssembly: false });
}

export type Histogram = ReturnType<typeof latencyHistogram>;

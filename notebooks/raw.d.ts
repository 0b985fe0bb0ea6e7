/* Text imports (`x.yaml?raw`): Vite's and vitest's convention; build.ts gives esbuild the same. */
declare module "*?raw" {
  const text: string;
  export default text;
}

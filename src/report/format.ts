/*
 * Moved to src/charts/format.ts (the charts' toolkit: figures in words, pure and light). This re-export
 * remains only for src/plan/check.ts; import from ../charts/format.ts instead.
 */
export { fmtCount, fmtDuration, fmtFigure, fmtFigureCi, fmtMiB, fmtPercent, fmtPercentCi } from "../charts/format.ts";

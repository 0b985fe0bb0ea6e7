// moved to src/units.ts (a leaf conf/ and scenario/ both use); kept for the importers in cli/, charts/ and io/
export { bytesToHuman, durationValue, formatBytes, formatDuration, MAX_DURATION_US, MAX_MEMORY_BYTES, memoryValue, parseDuration, parseFraction, parseMemory, show } from "../units.ts";

// Worker-thread entry for `sim sweep`: registers tsx in this thread, then loads the TypeScript worker.
import { register } from "tsx/esm/api";

register();
await import("./sweep-worker.ts");

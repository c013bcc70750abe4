// Loaded only by threads (see _module_level_loader.ts): its module-level
// Lock is made by whichever thread evaluates it first.
import { Lock } from "../mod.ts";

export const lateLock = new Lock();

// threading_rlock.py: an RLock can be re-acquired by its owner. (Python 2's
// RLock returned 1 here; Python 3's returns True, as this does.)
import { RLock } from "@weft/threading";

const py = (b: boolean): string => (b ? "True" : "False");

const lock = new RLock();

console.log("First try :", py(lock.acquire()));
console.log("Second try:", py(lock.acquire({ timeout: 0 })));

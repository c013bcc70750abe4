// threading_lock_reacquire.py: a Lock cannot be acquired twice, even by the
// thread that holds it.
import { Lock } from "@weft/threading";

const py = (b: boolean): string => (b ? "True" : "False");

const lock = new Lock();

console.log("First try :", py(lock.acquire()));
console.log("Second try:", py(lock.acquire({ timeout: 0 })));

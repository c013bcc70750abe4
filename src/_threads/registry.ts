// The thread registry, at the start of the heap that every thread maps: so
// names, idents, liveness and the process's non-daemon count are the same
// answer in every thread.
import {
  ALIVE,
  ENDING,
  FREE,
  H_ALIVE,
  H_HOOK_LEN,
  H_HOOK_SEQ,
  H_IDENT,
  H_LOCAL_COUNTER,
  H_NAME_COUNTER,
  H_NON_DAEMON,
  HOOK_BYTES,
  HOOK_OFFSET,
  MAX_THREADS,
  NAME_BYTES,
  NAMES_OFFSET,
  REGISTRY_BYTES,
  S_DAEMON,
  S_FAILURE,
  S_IDENT,
  S_NAME_LEN,
  S_NAME_SEQ,
  S_NATIVE_ID,
  S_STARTED,
  S_STATE,
  slotState,
  slotWord,
} from "../_core/layout.ts";
import { heapBuffer } from "../_core/heap.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** What a new slot is filled with. */
export interface SlotInit {
  name: string;
  daemon: boolean;
}

/** A view of the registry. */
export class Registry {
  readonly words: Int32Array;
  readonly #bytes: Uint8Array;
  readonly #nameCache: { seq: number; state: number; name: string }[] = [];

  constructor() {
    const sab = heapBuffer();
    this.words = new Int32Array(sab, 0, REGISTRY_BYTES >> 2);
    this.#bytes = new Uint8Array(sab, 0, REGISTRY_BYTES);
  }

  /** The value of slot field `field`. */
  load(slot: number, field: number): number {
    return Atomics.load(this.words, slotWord(slot, field));
  }

  /** The generation of `slot`: its threads are told apart by it. */
  gen(slot: number): number {
    return this.load(slot, S_STATE) >>> 2;
  }

  /**
   * Claims a free slot and fills it; -1 when MAX_THREADS are alive. The main
   * thread's slot is not counted among the non-daemon threads.
   */
  allocate(init: SlotInit, main = false): number {
    const w = this.words;
    for (let slot = 0; slot < MAX_THREADS; slot++) {
      const at = slotWord(slot, S_STATE);
      const state = Atomics.load(w, at);
      if ((state & 3) !== FREE) continue;
      const gen = state >>> 2;
      if (
        Atomics.compareExchange(w, at, state, slotState(gen, ALIVE)) !== state
      ) continue;
      const ident = Atomics.add(w, H_IDENT, 1) + 1;
      Atomics.store(w, slotWord(slot, S_IDENT), ident);
      Atomics.store(
        w,
        slotWord(slot, S_NATIVE_ID),
        main ? Deno.pid : nativeIdOf(ident),
      );
      Atomics.store(w, slotWord(slot, S_DAEMON), init.daemon ? 1 : 0);
      Atomics.store(w, slotWord(slot, S_STARTED), 0);
      Atomics.store(w, slotWord(slot, S_FAILURE), 0);
      this.writeName(slot, init.name);
      if (!init.daemon && !main) this.#addNonDaemon(1);
      Atomics.add(w, H_ALIVE, 1);
      return slot;
    }
    return -1;
  }

  /**
   * Ends the thread in `slot` (of generation `gen`), once: it leaves
   * enumerate() and its joiners are woken in one step, then the slot is
   * freed, unless `keep` (then {@linkcode Registry.release} frees it).
   * Returns false if it had already ended.
   */
  finish(slot: number, gen: number, keep = false): boolean {
    const w = this.words;
    const at = slotWord(slot, S_STATE);
    const alive = slotState(gen, ALIVE);
    if (
      Atomics.compareExchange(w, at, alive, slotState(gen, ENDING)) !== alive
    ) return false;
    const daemon = Atomics.load(w, slotWord(slot, S_DAEMON)) === 1;
    // A start() still waiting for this thread must not wait forever.
    if (Atomics.compareExchange(w, slotWord(slot, S_STARTED), 0, 1) === 0) {
      Atomics.notify(w, slotWord(slot, S_STARTED));
    }
    Atomics.notify(w, at);
    Atomics.sub(w, H_ALIVE, 1);
    if (!daemon) this.#addNonDaemon(-1);
    if (!keep) this.release(slot, gen);
    return true;
  }

  /** Frees the slot of an ended thread for reuse. */
  release(slot: number, gen: number): void {
    Atomics.compareExchange(
      this.words,
      slotWord(slot, S_STATE),
      slotState(gen, ENDING),
      slotState((gen + 1) & 0x3fffffff, FREE),
    );
  }

  #addNonDaemon(delta: number): void {
    Atomics.add(this.words, H_NON_DAEMON, delta);
    Atomics.notify(this.words, H_NON_DAEMON);
  }

  /** Whether the thread `slot`/`gen` is alive. */
  isAlive(slot: number, gen: number): boolean {
    return this.load(slot, S_STATE) === slotState(gen, ALIVE);
  }

  /** The next "Thread-N" number. */
  nextThreadNumber(): number {
    return Atomics.add(this.words, H_NAME_COUNTER, 1) + 1;
  }

  /** The next ThreadLocal id. */
  nextLocalId(): number {
    return Atomics.add(this.words, H_LOCAL_COUNTER, 1) + 1;
  }

  /** Stores a thread's name (a seqlock keeps readers from seeing half of it). */
  writeName(slot: number, name: string): void {
    const bytes = encoder.encode(name);
    if (bytes.length > NAME_BYTES) {
      throw new RangeError(
        `Thread name is too long: ${bytes.length} UTF-8 bytes, at most ${NAME_BYTES}`,
      );
    }
    const seqAt = slotWord(slot, S_NAME_SEQ);
    const seq = this.#lockSeq(seqAt);
    Atomics.store(this.words, slotWord(slot, S_NAME_LEN), bytes.length);
    this.#bytes.set(bytes, NAMES_OFFSET + slot * NAME_BYTES);
    Atomics.store(this.words, seqAt, seq + 2);
  }

  /** Reads a thread's name; cached until it changes. */
  readName(slot: number): string {
    const seqAt = slotWord(slot, S_NAME_SEQ);
    const state = this.load(slot, S_STATE);
    for (;;) {
      const seq = Atomics.load(this.words, seqAt);
      if (seq & 1) continue;
      const cached = this.#nameCache[slot];
      if (
        cached !== undefined && cached.seq === seq && cached.state === state
      ) {
        return cached.name;
      }
      const len = Atomics.load(this.words, slotWord(slot, S_NAME_LEN));
      const start = NAMES_OFFSET + slot * NAME_BYTES;
      const name = decoder.decode(this.#bytes.slice(start, start + len));
      if (Atomics.load(this.words, seqAt) === seq) {
        this.#nameCache[slot] = { seq, state, name };
        return name;
      }
    }
  }

  #lockSeq(seqAt: number): number {
    for (;;) {
      const seq = Atomics.load(this.words, seqAt);
      if (
        (seq & 1) === 0 &&
        Atomics.compareExchange(this.words, seqAt, seq, seq + 1) === seq
      ) return seq;
    }
  }

  /** Stores the excepthook's description (JSON), or clears it with "". */
  writeHook(text: string): void {
    const bytes = encoder.encode(text);
    if (bytes.length > HOOK_BYTES) {
      throw new RangeError("The excepthook's source is too large to share");
    }
    const seq = this.#lockSeq(H_HOOK_SEQ);
    Atomics.store(this.words, H_HOOK_LEN, bytes.length);
    this.#bytes.set(bytes, HOOK_OFFSET);
    Atomics.store(this.words, H_HOOK_SEQ, seq + 2);
  }

  /** The excepthook's sequence number: it changes whenever the hook does. */
  hookSeq(): number {
    return Atomics.load(this.words, H_HOOK_SEQ);
  }

  /** Reads the excepthook's description. */
  readHook(): { seq: number; text: string } {
    for (;;) {
      const seq = Atomics.load(this.words, H_HOOK_SEQ);
      if (seq & 1) continue;
      const len = Atomics.load(this.words, H_HOOK_LEN);
      const text = decoder.decode(
        this.#bytes.slice(HOOK_OFFSET, HOOK_OFFSET + len),
      );
      if (Atomics.load(this.words, H_HOOK_SEQ) === seq) return { seq, text };
    }
  }

  /** Slots of alive threads. */
  aliveSlots(): number[] {
    const out: number[] = [];
    for (let slot = 0; slot < MAX_THREADS; slot++) {
      if ((this.load(slot, S_STATE) & 3) === ALIVE) out.push(slot);
    }
    return out;
  }
}

// Threads other than main get distinct synthetic native ids above the pid,
// which is the main thread's OS thread id on Linux.
function nativeIdOf(ident: number): number {
  return Deno.pid + ident;
}

// The thread registry: one SharedArrayBuffer that every thread maps, so that
// names, idents, liveness and the process's non-daemon count are the same
// answer in every thread.
import {
  ALIVE,
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
  S_GEN,
  S_IDENT,
  S_NAME_LEN,
  S_NAME_SEQ,
  S_NATIVE_ID,
  S_STARTED,
  S_STATE,
  slotWord,
} from "./_layout.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** What a new slot is filled with. */
export interface SlotInit {
  name: string;
  daemon: boolean;
}

/** A view of the registry. */
export class Registry {
  readonly sab: SharedArrayBuffer;
  readonly words: Int32Array;
  readonly #bytes: Uint8Array;
  readonly #nameCache: { seq: number; gen: number; name: string }[] = [];

  constructor(sab?: SharedArrayBuffer) {
    this.sab = sab ?? new SharedArrayBuffer(REGISTRY_BYTES);
    this.words = new Int32Array(this.sab);
    this.#bytes = new Uint8Array(this.sab);
  }

  /** The value of slot field `field`. */
  load(slot: number, field: number): number {
    return Atomics.load(this.words, slotWord(slot, field));
  }

  /**
   * Claims a free slot and fills it; -1 when MAX_THREADS are alive. The main
   * thread's slot is not counted among the non-daemon threads.
   */
  allocate(init: SlotInit, main = false): number {
    const w = this.words;
    for (let slot = 0; slot < MAX_THREADS; slot++) {
      const at = slotWord(slot, S_STATE);
      if (Atomics.load(w, at) !== FREE) continue;
      if (Atomics.compareExchange(w, at, FREE, ALIVE) !== FREE) continue;
      const ident = Atomics.add(w, H_IDENT, 1) + 1;
      Atomics.store(w, slotWord(slot, S_IDENT), ident);
      Atomics.store(
        w,
        slotWord(slot, S_NATIVE_ID),
        main ? Deno.pid : nativeIdOf(ident),
      );
      Atomics.store(w, slotWord(slot, S_DAEMON), init.daemon ? 1 : 0);
      Atomics.store(w, slotWord(slot, S_STARTED), 0);
      this.writeName(slot, init.name);
      if (!init.daemon && !main) this.#addNonDaemon(1);
      Atomics.add(w, H_ALIVE, 1);
      return slot;
    }
    return -1;
  }

  /**
   * Marks the thread in `slot` (of generation `gen`) as ended, once: frees the
   * slot and wakes its joiners. Returns false if it had already ended.
   */
  finish(slot: number, gen: number): boolean {
    const w = this.words;
    const at = slotWord(slot, S_GEN);
    if (Atomics.compareExchange(w, at, gen, gen + 1) !== gen) return false;
    const daemon = Atomics.load(w, slotWord(slot, S_DAEMON)) === 1;
    // A start() still waiting for this thread must not wait forever.
    Atomics.store(w, slotWord(slot, S_STARTED), 1);
    Atomics.notify(w, slotWord(slot, S_STARTED));
    Atomics.store(w, slotWord(slot, S_STATE), FREE);
    Atomics.sub(w, H_ALIVE, 1);
    Atomics.notify(w, at);
    if (!daemon) this.#addNonDaemon(-1);
    return true;
  }

  #addNonDaemon(delta: number): void {
    Atomics.add(this.words, H_NON_DAEMON, delta);
    Atomics.notify(this.words, H_NON_DAEMON);
  }

  /** Whether the thread `slot`/`gen` is alive. */
  isAlive(slot: number, gen: number): boolean {
    return this.load(slot, S_GEN) === gen && this.load(slot, S_STATE) === ALIVE;
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
    const gen = this.load(slot, S_GEN);
    for (;;) {
      const seq = Atomics.load(this.words, seqAt);
      if (seq & 1) continue;
      const cached = this.#nameCache[slot];
      if (cached !== undefined && cached.seq === seq && cached.gen === gen) {
        return cached.name;
      }
      const len = Atomics.load(this.words, slotWord(slot, S_NAME_LEN));
      const start = NAMES_OFFSET + slot * NAME_BYTES;
      const name = decoder.decode(this.#bytes.slice(start, start + len));
      if (Atomics.load(this.words, seqAt) === seq) {
        this.#nameCache[slot] = { seq, gen, name };
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
      if (this.load(slot, S_STATE) === ALIVE) out.push(slot);
    }
    return out;
  }
}

// Threads other than main get distinct synthetic native ids above the pid,
// which is the main thread's OS thread id on Linux.
function nativeIdOf(ident: number): number {
  return Deno.pid + ident;
}

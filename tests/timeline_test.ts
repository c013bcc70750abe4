// timelineHtml: the page's markup and embedded data, then (where Debian's
// Chromium is installed) the page itself in headless Chromium: its lanes, the
// tooltip on hover, zooming, panning, and that it loads nothing.
import assert from "node:assert/strict";
import { timelineHtml, type TraceEvent } from "../src/_observe/timeline.ts";
import { CHROMIUM, launchChromium, screenshot } from "../bench/_screenshot.ts";

const EVIL = "evil </script><script>window.pwned = 1</script><!-- x";

/** Three threads, as the tracer writes them: lives, waits, holds, instants. */
function syntheticTrace(): { traceEvents: TraceEvent[] } {
  const t0 = 1_000_000; // an absolute clock: the page counts from the first event
  const meta = (tid: number, name: string): TraceEvent => ({
    name: "thread_name",
    ph: "M",
    ts: 0,
    pid: 1,
    tid,
    args: { name },
  });
  const slice = (
    tid: number,
    name: string,
    ts: number,
    dur: number,
    args?: Record<string, unknown>,
  ): TraceEvent => ({
    name,
    ph: "X",
    ts: t0 + ts,
    dur,
    pid: 1,
    tid,
    ...(args && { args }),
  });
  const instant = (tid: number, name: string, ts: number): TraceEvent => ({
    name,
    ph: "i",
    s: "t",
    ts: t0 + ts,
    pid: 1,
    tid,
  });
  const held = "Lock held (Lock at app.ts:12)";
  return {
    traceEvents: [
      // Metadata out of order: lanes follow each thread's first event.
      meta(3, "Thread-2 (worker)"),
      meta(1, "MainThread"),
      meta(2, "Thread-1 (worker)"),
      slice(1, "MainThread", 0, 10_000),
      slice(1, EVIL, 100, 900),
      slice(1, "Thread.join wait", 1_300, 8_000),
      instant(1, "Event.set", 8_400),
      slice(2, "Thread-1 (worker)", 1_000, 7_000),
      slice(2, "Lock.acquire wait", 1_500, 1_000),
      slice(2, held, 2_500, 1_500, { lock: "Lock at app.ts:12", n: 1 }),
      slice(2, "Condition.wait", 3_000, 500),
      instant(2, "Condition.notify", 3_800),
      instant(2, "Lock.release", 4_000),
      slice(3, "Thread-2 (worker)", 1_200, 7_800),
      slice(3, "Lock.acquire wait", 1_300, 2_700),
      slice(3, held, 4_000, 2_000, { lock: "Lock at app.ts:12", n: 2 }),
      instant(3, "Lock.release", 6_000),
      slice(3, "Event.wait", 6_000, 2_500),
    ],
  };
}

const NAMES = ["MainThread", "Thread-1 (worker)", "Thread-2 (worker)"];

interface Embedded {
  start: number;
  end: number;
  lanes: string[];
  items: { lane: number; y: number; e: TraceEvent }[];
}

/** The JSON that the page embeds, parsed. */
function embedded(html: string): Embedded {
  const match =
    /<script type="application\/json" id="trace-data">([^]*?)<\/script>/
      .exec(html);
  assert.ok(match, "no embedded data");
  return JSON.parse(match[1]);
}

const byTime = (a: TraceEvent, b: TraceEvent): number =>
  a.ts - b.ts || a.name.localeCompare(b.name) || a.tid - b.tid;

Deno.test("timelineHtml: a lane per thread, the events embedded", () => {
  const trace = syntheticTrace();
  const html = timelineHtml(trace, "Run <1>");
  assert.match(html, /^<!DOCTYPE html>/);
  assert.match(html, /<title>Run &#60;1&#62;<\/title>/);
  const lanes = [...html.matchAll(/<g class="lane[^"]*">/g)];
  assert.equal(lanes.length, 3);
  const labels = [...html.matchAll(/class="lane-name"[^>]*>([^<]*)/g)];
  assert.deepEqual(labels.map((m) => m[1]), NAMES);

  const page = embedded(html);
  assert.deepEqual(page.lanes, NAMES);
  assert.equal(page.start, 1_000_000);
  assert.equal(page.end, 1_010_000);
  const drawn = trace.traceEvents.filter((e) => e.ph !== "M").sort(byTime);
  assert.deepEqual(page.items.map((i) => i.e).sort(byTime), drawn);
  // Nested slices go one row deeper per level: Thread-1's life, its hold, a
  // wait inside the hold.
  const rowOf = (name: string, lane: number): number =>
    page.items.find((i) => i.e.name === name && i.lane === lane)!.y;
  assert.equal(
    rowOf("Lock held (Lock at app.ts:12)", 1) - rowOf(NAMES[1], 1),
    20,
  );
  assert.equal(rowOf("Condition.wait", 1) - rowOf(NAMES[1], 1), 40);
  assert.equal(
    rowOf("Lock.acquire wait", 1),
    rowOf("Lock held (Lock at app.ts:12)", 1),
  );

  assert.doesNotMatch(html, /https?:\/\//);
  assert.doesNotMatch(html, /<link|\ssrc=|@import|url\(/);
  // The only `</script>` are the two tags' own: the name stayed inside.
  assert.equal(html.split("</script>").length - 1, 2);
  assert.equal(html.split("<script").length - 1, 2);
  assert.ok(page.items.some((i) => i.e.name === EVIL));
});

Deno.test("timelineHtml: an empty trace, threads without names", () => {
  const empty = embedded(timelineHtml({ traceEvents: [] }));
  assert.deepEqual([empty.lanes, empty.items, empty.start], [[], [], 0]);
  const unnamed = embedded(timelineHtml({
    traceEvents: [
      { name: "b", ph: "X", ts: 5, dur: 1, pid: 1, tid: 8 },
      { name: "a", ph: "X", ts: 2, dur: 1, pid: 1, tid: 9 },
      { name: "ignored", ph: "B", ts: 0, pid: 1, tid: 7 },
    ],
  }));
  assert.deepEqual(unnamed.lanes, ["Thread 9", "Thread 8"]);
});

const hasChromium = (() => {
  try {
    return Deno.statSync(CHROMIUM).isFile;
  } catch {
    return false;
  }
})();

/** Polls `check` until it holds; fails after `ms`. */
async function until(
  check: () => Promise<boolean>,
  what: string,
  ms = 5_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!await check()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

Deno.test({
  name: `timelineHtml in Chromium: lanes, hover, zoom, pan${
    hasChromium ? "" : ` (skipped: no ${CHROMIUM})`
  }`,
  ignore: !hasChromium,
  timeout: 60_000,
  async fn() {
    const html = timelineHtml(syntheticTrace(), "Synthetic");
    const data = embedded(html);
    const index = (name: string, lane: number): number =>
      data.items.findIndex((i) => i.e.name === name && i.lane === lane);
    const dir = await Deno.makeTempDir({ prefix: "timeline_test_" });
    try {
      const browser = await launchChromium();
      try {
        const file = `${dir}/timeline.html`;
        await Deno.writeTextFile(file, html);
        const page = await browser.newPage({
          viewport: { width: 1200, height: 600 },
        });
        page.setDefaultTimeout(10_000);
        const errors: string[] = [];
        const requests: string[] = [];
        page.on("pageerror", (e) => errors.push(String(e)));
        page.on(
          "console",
          (m) => m.type() === "error" && errors.push(m.text()),
        );
        page.on("request", (r) => requests.push(r.url()));
        await page.goto(`file://${file}`);

        assert.equal(await page.locator("g.lane").count(), 3);
        assert.deepEqual(
          await page.locator(".lane-name").allTextContents(),
          NAMES,
        );
        const slices = data.items.filter((i) => i.e.ph === "X").length;
        assert.equal(await page.locator("#plot rect[data-i]").count(), slices);
        assert.equal(await page.locator("#plot path[data-i]").count(), 4);
        assert.ok(await page.locator(".axis text").count() >= 3, "axis ticks");

        const tip = page.locator("#tip");
        const held = page.locator(
          `rect[data-i="${index("Lock held (Lock at app.ts:12)", 1)}"]`,
        );
        await held.hover();
        await until(() => tip.isVisible(), "the tooltip");
        const text = await tip.innerText();
        for (
          const part of [
            "Lock held (Lock at app.ts:12)",
            "thread: Thread-1 (worker)",
            "start: 2.500 ms",
            "duration: 1.500 ms",
            "lock: Lock at app.ts:12",
          ]
        ) assert.ok(text.includes(part), `${part} in ${JSON.stringify(text)}`);

        await page.locator(`rect[data-i="${index(EVIL, 0)}"]`).hover();
        await until(async () => (await tip.innerText()).includes(EVIL), "EVIL");
        assert.equal(await page.locator("script").count(), 2);
        assert.equal(await page.evaluate("typeof window.pwned"), "undefined");

        await page.locator(`path[data-i="${index("Event.set", 0)}"]`).hover();
        await until(
          async () => (await tip.innerText()).includes("Event.set"),
          "instant",
        );
        assert.match(await tip.innerText(), /instant: thread/);

        // Zoom in 2x about the middle: a slice there doubles in width.
        const hold2 = page.locator(
          `rect[data-i="${index("Lock held (Lock at app.ts:12)", 2)}"]`,
        );
        const width = async (): Promise<number> =>
          Number(await hold2.getAttribute("width"));
        const x = async (): Promise<number> =>
          Number(await hold2.getAttribute("x"));
        const fitted = await width();
        await page.click("#zoom-in");
        await until(async () => await width() > fitted * 1.5, "zoom in");
        assert.ok(Math.abs(await width() / fitted - 2) < 0.01);
        // Drag right by 100 px: the slice moves right by as much.
        const before = await x();
        const box = (await hold2.boundingBox())!;
        await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
        await page.mouse.down();
        await page.mouse.move(box.x + box.width / 2 + 100, box.y + 2, {
          steps: 5,
        });
        await page.mouse.up();
        await until(async () => await x() > before + 50, "the pan");
        assert.ok(Math.abs(await x() - before - 100) < 1);
        // The wheel zooms at the cursor; Fit shows everything again.
        const zoomed = await width();
        await page.mouse.wheel(0, -300);
        await until(async () => await width() > zoomed * 1.2, "wheel zoom");
        await page.click("#fit");
        await until(async () => Math.abs(await width() - fitted) < 0.01, "fit");

        assert.deepEqual(errors, []);
        assert.deepEqual(requests, [`file://${file}`]);

        const png = `${dir}/timeline.png`;
        await screenshot(html, png);
        const bytes = await Deno.readFile(png);
        assert.deepEqual([...bytes.subarray(1, 4)], [0x50, 0x4e, 0x47]); // "PNG"
      } finally {
        await browser.close();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

// Renders a trace JSON file with timelineHtml and saves a PNG of the page as
// headless Chromium shows it, for the README's picture of a trace. Drives the
// system's Chromium (Debian's /usr/bin/chromium) with playwright-core, which
// ships no browser of its own; tests/timeline_test.ts launches it the same way.
//
// Usage: deno run -A bench/_screenshot.ts in.json out.png [width] [height]
import { type Browser, chromium } from "playwright-core";
import { timelineHtml, type TraceEvent } from "../src/_observe/timeline.ts";

/** Where Debian's chromium package puts the browser. */
export const CHROMIUM = "/usr/bin/chromium";

/** Starts headless Chromium with nothing running in the background. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    timeout: 30_000,
  });
}

/** Writes a `width` x `height` PNG of `html` to `out`. */
export async function screenshot(
  html: string,
  out: string,
  width = 1200,
  height = 500,
): Promise<void> {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width, height } });
    page.setDefaultTimeout(10_000);
    await page.setContent(html);
    await page.screenshot({ path: out });
  } finally {
    await browser.close();
  }
}

if (import.meta.main) {
  const [input, out, width, height, heading] = Deno.args;
  if (input === undefined || out === undefined) {
    console.error(
      "Usage: deno run -A bench/_screenshot.ts in.json out.png [width] " +
        "[height] [title]",
    );
    Deno.exit(2);
  }
  // The Trace Event Format's JSON is an object with traceEvents, or the array.
  const json: TraceEvent[] | { traceEvents: TraceEvent[] } = JSON.parse(
    await Deno.readTextFile(input),
  );
  const trace = Array.isArray(json) ? { traceEvents: json } : json;
  const title = heading ?? input.replace(/^.*\//, "");
  await screenshot(
    timelineHtml(trace, title),
    out,
    width ? Number(width) : undefined,
    height ? Number(height) : undefined,
  );
  console.log(`wrote ${out}`);
}

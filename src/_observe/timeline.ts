// A timeline viewer for Chrome/Perfetto trace JSON (the Trace Event Format)
// as one self-contained HTML file: a lane per thread, nested slices stacked
// in rows, instants as markers, a time axis in ms, a tooltip on hover, wheel
// or +/- to zoom and drag to pan. Perfetto and chrome://tracing read the same
// JSON but need their web app; this page needs nothing, not even the network
// (its Content-Security-Policy forbids every fetch), so it can be attached to
// a bug report or a CI run and opened anywhere. The lanes and rows are laid
// out here; the page's script only maps time to x, so zooming redraws the
// visible boxes and nothing else.

/** One event of the Trace Event Format: the fields the viewer reads. */
export interface TraceEvent {
  /** A slice's or instant's label; `"thread_name"` for that metadata. */
  name: string;
  /** Phase: `"X"` complete slice, `"i"` instant, `"M"` metadata. */
  ph: string;
  /** Start, in microseconds, on one clock for every thread. */
  ts: number;
  /** A slice's duration, in microseconds. */
  dur?: number;
  /** Process id. */
  pid: number;
  /** Thread id: the lane, with `pid`. */
  tid: number;
  /** Category: slices of one category share a colour. */
  cat?: string;
  /** An instant's scope: `"t"` thread, `"p"` process, `"g"` global. */
  s?: string;
  /** Details shown in the tooltip; `args.name` names a thread in metadata. */
  args?: Record<string, unknown>;
}

/** A drawn event with its lane and the y of its row, as the page reads it. */
interface Item {
  lane: number;
  y: number;
  e: TraceEvent;
}

interface Lane {
  name: string;
  tid: number;
  first: number;
  slices: TraceEvent[];
  instants: TraceEvent[];
}

const AXIS_H = 24;
const LABEL_W = 180;
const INSTANT_H = 12;
const ROW_H = 20;
const LANE_PAD = 6;

/** `&`, `<`, `>` and quotes as entities, for text and attribute values. */
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** `n` and the noun, plural unless `n` is 1. */
function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

/** The threads of the trace with their slices and instants, by first event. */
function lanesOf(events: readonly TraceEvent[]): Lane[] {
  const lanes = new Map<string, Lane>();
  const laneOf = (e: TraceEvent): Lane => {
    const key = `${e.pid}:${e.tid}`;
    let lane = lanes.get(key);
    if (lane === undefined) {
      lane = {
        name: `Thread ${e.tid}`,
        tid: e.tid,
        first: Infinity,
        slices: [],
        instants: [],
      };
      lanes.set(key, lane);
    }
    return lane;
  };
  for (const e of events) {
    if (e.ph === "M") {
      if (e.name === "thread_name" && e.args?.name !== undefined) {
        laneOf(e).name = String(e.args.name);
      }
    } else if (e.ph === "X" || e.ph === "i" || e.ph === "I") {
      const lane = laneOf(e);
      lane.first = Math.min(lane.first, e.ts);
      (e.ph === "X" ? lane.slices : lane.instants).push(e);
    }
  }
  return [...lanes.values()].sort((a, b) => a.first - b.first || a.tid - b.tid);
}

/**
 * Places each lane's slices in rows: a slice that starts before the one
 * above it ends goes one row deeper. Returns the lane's number of rows.
 */
function placeSlices(
  slices: TraceEvent[],
  lane: number,
  top: number,
  items: Item[],
): number {
  const ends: number[] = [];
  let rows = 0;
  slices.sort((a, b) => a.ts - b.ts || (b.dur ?? 0) - (a.dur ?? 0));
  for (const e of slices) {
    while (ends.length > 0 && ends[ends.length - 1] <= e.ts) ends.pop();
    items.push({ lane, y: top + ends.length * ROW_H, e });
    ends.push(e.ts + (e.dur ?? 0));
    rows = Math.max(rows, ends.length);
  }
  return rows;
}

/**
 * Renders a trace as one self-contained HTML page: a lane per thread (named
 * by its `thread_name` metadata, in the order of each thread's first event),
 * `"X"` slices as boxes stacked by nesting, `"i"` instants as markers, a time
 * axis in ms from the trace's first event, and the event's name, thread,
 * start, duration and args in a tooltip on hover. The mouse wheel or the
 * +/- buttons (or keys; 0 fits) zoom, dragging pans. Other phases are left
 * out. The page loads nothing: its CSS, script and the events are inline.
 *
 * ```ts
 * import { timelineHtml } from "./timeline.ts";
 * import assert from "node:assert/strict";
 *
 * const html = timelineHtml({
 *   traceEvents: [
 *     { name: "thread_name", ph: "M", ts: 0, pid: 1, tid: 1, args: { name: "MainThread" } },
 *     { name: "work", ph: "X", ts: 0, dur: 1500, pid: 1, tid: 1 },
 *   ],
 * }, "Run 1");
 * assert.match(html, /<title>Run 1<\/title>/);
 * ```
 *
 * @param trace A trace in the Trace Event Format's JSON object form.
 * @param title The page's title and heading.
 * @returns The HTML document.
 */
export function timelineHtml(
  trace: { traceEvents: TraceEvent[] },
  title = "Timeline",
): string {
  const lanes = lanesOf(trace.traceEvents);
  const items: Item[] = [];
  let top = AXIS_H;
  let start = Infinity;
  let end = -Infinity;
  const laneMarkup = lanes.map((lane, i) => {
    const height = INSTANT_H + LANE_PAD + ROW_H *
        Math.max(1, placeSlices(lane.slices, i, top + INSTANT_H, items));
    lane.instants.sort((a, b) => a.ts - b.ts);
    for (const e of lane.instants) items.push({ lane: i, y: top + 1, e });
    for (const e of [...lane.slices, ...lane.instants]) {
      start = Math.min(start, e.ts);
      end = Math.max(end, e.ts + (e.ph === "X" ? e.dur ?? 0 : 0));
    }
    const name = escapeHtml(lane.name);
    const markup = `<g class="lane${i % 2 ? " odd" : ""}">` +
      `<rect class="lane-bg" y="${top}" width="100%" height="${height}"/>` +
      `<svg y="${top}" width="${LABEL_W - 8}" height="${height}">` +
      `<title>${name}</title><text class="lane-name" x="10" ` +
      `y="${INSTANT_H + ROW_H - 6}">${name}</text></svg></g>`;
    top += height;
    return markup;
  });
  if (items.length === 0) start = end = 0;
  // `<` as \u003c: no `</script>` or `<!--` in a name can end the JSON early.
  const data = JSON.stringify({
    start,
    end,
    lanes: lanes.map((l) => l.name),
    items,
  })
    .replace(/</g, "\\u003c");
  const heading = escapeHtml(title);
  const span = ((end - start) / 1000).toFixed(3);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${heading}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>${heading}</h1>
<span id="info">${count(lanes.length, "thread")} · ${
    count(items.length, "event")
  } · ${span} ms · wheel or +/− to zoom, drag to pan</span>
<button type="button" id="zoom-out" title="Zoom out (-)">−</button>
<button type="button" id="zoom-in" title="Zoom in (+)">+</button>
<button type="button" id="fit" title="Show everything (0)">Fit</button>
</header>
<svg id="timeline" height="${top}" role="img" aria-label="${heading}">
<line class="gutter" x1="${LABEL_W - 0.5}" x2="${LABEL_W - 0.5}" y2="${top}"/>
<text class="unit" x="10" y="${AXIS_H - 8}">time (ms)</text>
${laneMarkup.join("\n")}
<svg id="plot" x="${LABEL_W}" height="${top}"></svg>
</svg>
<div id="tip" hidden></div>
<script type="application/json" id="trace-data">${data}</script>
<script>${script()}</script>
</body>
</html>
`;
}

const STYLE = `
:root { color-scheme: light; font: 13px/1.4 system-ui, sans-serif; color: #1f2328; background: #fff; }
body { margin: 0; }
header { display: flex; align-items: center; gap: 8px; padding: 10px 16px; border-bottom: 1px solid #e5e7eb; }
h1 { font-size: 15px; font-weight: 600; margin: 0 8px 0 0; }
#info { flex: 1; color: #6b7280; }
button { font: inherit; min-width: 32px; padding: 2px 10px; border: 1px solid #d0d7de; border-radius: 6px; background: #f6f8fa; color: inherit; cursor: pointer; }
button:hover { background: #eaeef2; }
#timeline { display: block; width: 100%; cursor: grab; user-select: none; touch-action: none; }
#timeline.dragging { cursor: grabbing; }
.lane-bg { fill: #fff; }
.odd .lane-bg { fill: #f6f8fa; }
.lane-name { font-weight: 600; fill: #374151; }
.unit, .axis text { fill: #6b7280; font-size: 11px; }
.gutter { stroke: #d0d7de; }
.axis line { stroke: #e5e7eb; }
#plot text { font-size: 11px; fill: #1f2328; pointer-events: none; }
#plot [data-i]:hover { stroke: #1f2328; stroke-width: 1.5; }
#tip { position: fixed; z-index: 1; max-width: 420px; padding: 6px 10px; pointer-events: none; background: #fff; border: 1px solid #d0d7de; border-radius: 6px; box-shadow: 0 4px 14px rgba(0, 0, 0, 0.12); font-size: 12px; white-space: pre-wrap; overflow-wrap: anywhere; }
#tip b { display: block; margin-bottom: 2px; }
#tip span { color: #6b7280; }
`;

/** The page's script: draws the time axis and the visible events, and the UI. */
function script(): string {
  return String.raw`
(function () {
  "use strict";
  var LABEL_W = ${LABEL_W}, AXIS_H = ${AXIS_H}, ROW_H = ${ROW_H};
  var data = JSON.parse(document.getElementById("trace-data").textContent);
  var svg = document.getElementById("timeline"), plot = document.getElementById("plot");
  var tip = document.getElementById("tip"), items = data.items;
  var pad = Math.max(data.end - data.start, 1) * 0.02;
  var lo = data.start - pad, hi = data.end + pad;
  var view = { t0: lo, t1: hi }, width = 1, drag = null, queued = false;

  function el(tag, attrs, parent) {
    var node = document.createElementNS(svg.namespaceURI, tag);
    for (var k in attrs) node.setAttribute(k, attrs[k]);
    return parent.appendChild(node);
  }
  // Hues a golden angle apart, in order of first appearance, one per category
  // or per name less its numbers and (details), so that "Thread-1 (worker)" and
  // "Thread-2 (worker)" share one, as do "Lock held (Lock at a.ts:1)" and (b.ts:2).
  var hues = {}, nHues = 0;
  items.forEach(function (item) {
    var key = item.e.cat || String(item.e.name).replace(/\(.*\)|\d+/g, "");
    if (!(key in hues)) hues[key] = Math.round(200 + nHues++ * 137.508) % 360;
    item.hue = hues[key];
  });
  function colour(item, light) {
    return "hsl(" + item.hue + (light ? " 60% 80%)" : " 45% 50%)");
  }
  function ms(us) { return (us / 1000).toFixed(3) + " ms"; }
  function x(t) { return (t - view.t0) / (view.t1 - view.t0) * width; }

  function render() {
    queued = false;
    width = Math.max(svg.clientWidth - LABEL_W, 1);
    plot.setAttribute("width", width);
    plot.textContent = "";
    var span = view.t1 - view.t0, rough = span / width * 100;
    var p = Math.pow(10, Math.floor(Math.log10(rough))), m = rough / p;
    var step = (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
    var digits = Math.max(0, Math.ceil(-Math.log10(step / 1000)));
    var axis = el("g", { class: "axis" }, plot);
    for (var n = Math.ceil((view.t0 - data.start) / step); data.start + n * step <= view.t1; n++) {
      var tx = x(data.start + n * step);
      el("line", { x1: tx, x2: tx, y1: AXIS_H - 4, y2: "100%" }, axis);
      el("text", { x: tx + 3, y: AXIS_H - 8 }, axis).textContent = (n * step / 1000).toFixed(digits);
    }
    // Right edge drawn so far per row: what would add under a pixel is left out.
    var drawn = {};
    items.forEach(function (item, i) {
      var e = item.e, x0 = x(e.ts), last = item.y in drawn ? drawn[item.y] : -10;
      if (e.ph !== "X") {
        if (x0 > -6 && x0 < width + 6 && x0 >= last + 1) {
          drawn[item.y] = x0;
          el("path", { d: "M" + x0 + " " + item.y + "l5 5l-5 5l-5-5z", fill: colour(item, false), "data-i": i }, plot);
        }
        return;
      }
      var x1 = x(e.ts + (e.dur || 0));
      var l = Math.max(x0, -2), r = Math.min(Math.max(x1, x0 + 1), width + 2);
      if (x1 < 0 || x0 > width || r < last + 1) return;
      drawn[item.y] = r;
      el("rect", { x: l, y: item.y + 1, width: r - l, height: ROW_H - 2, rx: 2, fill: colour(item, true), stroke: colour(item, false), "data-i": i }, plot);
      if (r - l > 24) {
        var clip = el("svg", { x: l, y: item.y + 1, width: r - l, height: ROW_H - 2 }, plot);
        var fits = Math.floor((r - l - 8) / 6.5), label = String(e.name);
        el("text", { x: 4, y: ROW_H - 7 }, clip).textContent =
          label.length > fits ? label.slice(0, fits - 1) + "\u2026" : label;
      }
    });
  }
  function schedule() {
    if (!queued) { queued = true; requestAnimationFrame(render); }
  }
  function setView(t0, span) {
    t0 = Math.min(Math.max(t0, lo), hi - span);
    view = { t0: t0, t1: t0 + span };
    schedule();
  }
  function zoom(factor, f) {
    var span = view.t1 - view.t0, next = Math.min(Math.max(span * factor, 1), hi - lo);
    setView(view.t0 + f * (span - next), next);
  }

  function line(tag, text, label) {
    var node = tip.appendChild(document.createElement(tag));
    if (label) node.appendChild(document.createElement("span")).textContent = label + ": ";
    node.appendChild(document.createTextNode(text));
  }
  function hover(ev) {
    var target = ev.target.closest ? ev.target.closest("[data-i]") : null;
    if (!target || drag) { tip.hidden = true; return; }
    var item = items[target.getAttribute("data-i")], e = item.e, args = e.args || {};
    tip.textContent = "";
    line("b", e.name);
    line("div", data.lanes[item.lane], "thread");
    line("div", ms(e.ts - data.start), "start");
    if (e.ph === "X") line("div", ms(e.dur || 0), "duration");
    else line("div", e.s === "g" ? "global" : e.s === "p" ? "process" : "thread", "instant");
    if (e.cat) line("div", e.cat, "category");
    for (var k in args) line("div", typeof args[k] === "string" ? args[k] : JSON.stringify(args[k]), k);
    tip.hidden = false;
    var left = ev.clientX + 14, top = ev.clientY + 14;
    if (left + tip.offsetWidth > innerWidth) left = Math.max(0, ev.clientX - tip.offsetWidth - 14);
    if (top + tip.offsetHeight > innerHeight) top = Math.max(0, ev.clientY - tip.offsetHeight - 14);
    tip.style.left = left + "px";
    tip.style.top = top + "px";
  }

  svg.addEventListener("pointerdown", function (ev) {
    if (ev.button !== 0) return;
    drag = { x: ev.clientX, t0: view.t0, span: view.t1 - view.t0 };
    svg.setPointerCapture(ev.pointerId);
    svg.classList.add("dragging");
    tip.hidden = true;
  });
  svg.addEventListener("pointermove", function (ev) {
    if (drag) setView(drag.t0 - (ev.clientX - drag.x) / width * drag.span, drag.span);
    hover(ev);
  });
  function drop() { drag = null; svg.classList.remove("dragging"); }
  svg.addEventListener("pointerup", drop);
  svg.addEventListener("pointercancel", drop);
  svg.addEventListener("pointerleave", function () { tip.hidden = true; });
  svg.addEventListener("wheel", function (ev) {
    ev.preventDefault();
    var dy = ev.deltaY * (ev.deltaMode === 1 ? 16 : ev.deltaMode === 2 ? 400 : 1);
    var f = (ev.clientX - svg.getBoundingClientRect().left - LABEL_W) / width;
    zoom(Math.exp(Math.max(-300, Math.min(300, dy)) * 0.002), f >= 0 && f <= 1 ? f : 0.5);
  }, { passive: false });
  function fit() { setView(lo, hi - lo); }
  document.getElementById("zoom-in").addEventListener("click", function () { zoom(0.5, 0.5); });
  document.getElementById("zoom-out").addEventListener("click", function () { zoom(2, 0.5); });
  document.getElementById("fit").addEventListener("click", fit);
  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (ev.key === "+" || ev.key === "=") zoom(0.5, 0.5);
    else if (ev.key === "-") zoom(2, 0.5);
    else if (ev.key === "0") fit();
  });
  addEventListener("resize", schedule);
  render();
})();
`;
}

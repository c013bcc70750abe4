// The seed's condition program (threading_condition.py), traced: every
// thread's life, its waits on the Condition, its holds of the Condition's
// lock and the producer's notify, drawn as a timeline. Writes the trace as
// JSON (for ui.perfetto.dev) and as one self-contained HTML page.
import {
  Condition,
  sleep,
  startTrace,
  stopTrace,
  Thread,
  timelineHtml,
} from "@weft/threading";
import { consumer, producer } from "./condition.ts";

if (import.meta.main) {
  const dir = Deno.args[0] ?? Deno.makeTempDirSync({ prefix: "weft-trace-" });
  startTrace();
  const condition = new Condition();
  const c1 = new Thread({ name: "c1", target: consumer, args: [condition] });
  const c2 = new Thread({ name: "c2", target: consumer, args: [condition] });
  const p = new Thread({ name: "p", target: producer, args: [condition] });
  c1.start();
  sleep(200);
  c2.start();
  sleep(200);
  p.start();
  for (const t of [c1, c2, p]) t.join();
  const trace = stopTrace();
  const threads = trace.traceEvents
    .filter((e) => e.name === "thread_name")
    .map((e) => e.args!.name as string)
    .sort();
  console.log(`traced ${threads.length} threads: ${threads.join(", ")}`);
  Deno.writeTextFileSync(`${dir}/condition_trace.json`, JSON.stringify(trace));
  Deno.writeTextFileSync(
    `${dir}/condition_trace.html`,
    timelineHtml(trace, { title: "threading_condition.py, traced" }),
  );
  console.log(`wrote condition_trace.json and condition_trace.html in ${dir}`);
}

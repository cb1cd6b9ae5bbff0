// Parses diagrams with the real parsers: Mermaid's own `mermaid.parse()` and Graphviz
// (the @viz-js/viz WebAssembly build of Graphviz, rendering to `canon`, which runs
// Graphviz's DOT parser and layout).
//
// Usage: node diagrams.mjs NODE_DIR INPUT.json
//   NODE_DIR   where `.ci/run` installed the packages (`target/node`)
//   INPUT.json [{"name": ..., "format": "mermaid" | "dot", "text": ...}, ...]
// Prints one line per diagram that fails and exits 1 if any did; else prints how many
// parsed. Any message from Graphviz (warnings too, but the one about font metrics)
// counts as a failure.
//
// Mermaid under Node: its parser sanitises labels with DOMPurify, which needs a DOM.
// A jsdom window set as the global `window` before mermaid is first imported is enough
// (DOMPurify binds to it when loaded); nothing is fetched.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [nodeDir, input] = process.argv.slice(2);
const require = createRequire(join(resolve(nodeDir), 'package.json'));
const load = async (name) => import(pathToFileURL(require.resolve(name)).href);

// Graphviz first: its loader takes a global `document` for a browser's.
const viz = await (await load('@viz-js/viz')).instance();
const { JSDOM } = await load('jsdom');
const dom = new JSDOM('<!doctype html><html><body></body></html>');
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const mermaid = (await load('mermaid')).default;

const diagrams = JSON.parse(readFileSync(input, 'utf8'));
const counts = { mermaid: 0, dot: 0 };
let failed = 0;
for (const d of diagrams) {
  try {
    if (d.format === 'mermaid') {
      const r = await mermaid.parse(d.text);
      if (!r || r.diagramType !== 'flowchart-v2') {
        throw new Error(`parsed as ${JSON.stringify(r)}, not a flowchart`);
      }
    } else if (d.format === 'dot') {
      const r = viz.render(d.text, { format: 'canon' });
      // The WebAssembly build has no fonts: estimating the width of non-ASCII text is a
      // layout warning, not a syntax one.
      const errors = r.errors.filter((e) => !(e.level === 'warning' && /no value for width of non-ASCII character/.test(e.message)));
      if (r.status !== 'success' || errors.length > 0) {
        throw new Error(errors.map((e) => `${e.level}: ${e.message}`).join('; ') || r.status);
      }
    } else {
      throw new Error(`unknown format ${d.format}`);
    }
    counts[d.format] += 1;
  } catch (e) {
    failed += 1;
    console.log(`FAIL ${d.format} ${d.name}: ${String(e && e.message ? e.message : e)}`);
  }
}
if (failed > 0) {
  process.exit(1);
}
console.log(`parsed ${counts.mermaid} Mermaid and ${counts.dot} DOT diagrams`);

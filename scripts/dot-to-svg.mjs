// DOT on standard input → SVG on standard output, with Graphviz built to WebAssembly
// (@viz-js/viz, as `.ci/run` installs it): no `dot` binary needed.
//
//   cargo run -- graph --format dot stacks/production.yaml \
//     | node scripts/dot-to-svg.mjs target/node > docs/graph-production.svg
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const nodeDir = process.argv[2] ?? 'target/node';
const require = createRequire(join(resolve(nodeDir), 'package.json'));
const { instance } = await import(pathToFileURL(require.resolve('@viz-js/viz')).href);
const viz = await instance();
const r = viz.render(readFileSync(0, 'utf8'), { format: 'svg' });
if (r.status !== 'success') {
  for (const e of r.errors) console.error(`${e.level}: ${e.message}`);
  process.exit(1);
}
process.stdout.write(r.output);

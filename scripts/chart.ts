// Charts for the measurement scripts: a Vega-Lite spec compiled to Vega and drawn by Vega's headless SVG
// string renderer (`renderer: 'none'` + `View#toSVG()`). Chosen because it is well kept (the Vega project,
// regular releases), renders SVG in Node with no browser, DOM or native canvas (Observable Plot needs a DOM,
// Chart.js a canvas), and fetches nothing at run time: the data is inline, so only node_modules is read.
// Both packages are ESM-only, hence import(); vega-lite stays at 6.4.3 because 6.5 asks for Node 22 and this
// service runs on Node 20.
import type { TopLevelSpec } from 'vega-lite';

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const [vega, vl] = await Promise.all([import('vega'), import('vega-lite')]);
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

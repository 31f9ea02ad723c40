import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Chart.js's UMD build (`dist/chart.umd.min.js`, MIT): the report page inlines it (docs/report.md says why
 * Chart.js). Read from node_modules here; the report function's bundle has no node_modules, so its build puts the
 * file's text in place of this module (build/esbuild.config.js, `inlineChartLibrary`). Nothing else may go in
 * this module: the build replaces all of it.
 */
export function chartLibrarySource(): string {
  return readFileSync(join(dirname(require.resolve('chart.js')), 'chart.umd.min.js'), 'utf8');
}

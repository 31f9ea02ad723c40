import { join } from 'node:path';
import { buildSync } from 'esbuild';

const ROOT = join(__dirname, '..', '..', '..');

describe('the rate modules a handler imports', () => {
  it('bundle without zod or yaml: the Lambda bundles carry neither', () => {
    const entry = [
      'rules/compileRateRules',
      'rates/RateTally',
      'rates/counterAlert',
      'rates/rollups',
      'alerts/anyAlert',
      'alerts/rateAlert',
      'alerts/alertText',
      'alerts/fitAlert',
    ]
      .map((m) => `export * from './src/${m}';`)
      .join('\n');
    const { metafile } = buildSync({
      stdin: { contents: entry, resolveDir: ROOT, loader: 'ts' },
      bundle: true,
      platform: 'node',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(metafile.inputs);
    expect(inputs).toContain('src/rates/RateTally.ts');
    expect(inputs.filter((i) => i.includes('node_modules'))).toEqual([]);
  });
});

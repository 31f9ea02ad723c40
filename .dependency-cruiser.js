/**
 * The layers of the code, top to bottom, and the rules that keep every import pointing down. Run by
 * `npm run lint` (and so by `.ci/run`): `depcruise src handlers`.
 *
 * A module may import modules of its own layer and of the layers below it, never one above: the data flows one
 * way (STYLE.md), and a reader can follow a record from a handler down to its outcome. Type-only imports
 * count (`tsPreCompilationDeps`): a type that climbs a layer is still a loop in the design. Within a layer,
 * folders import each other one way too (`no-folder-cycle`): src/rates/ may import src/rules/, or the other way
 * round, never both.
 *
 * To move a module to another layer, change its pattern here and say why in the commit.
 */

/** Top to bottom. `why` says what the layer is and why the layers above it may not be imported from it. */
const LAYERS = [
  {
    name: 'doors',
    paths: ['^handlers/', '^src/cli/'],
    why: 'the Lambda handlers and the CLI commands are entry points: nothing imports them',
  },
  {
    name: 'composition',
    paths: ['^src/runtime\\.ts$', '^src/coldStart\\.ts$'],
    why: 'the composition root picks the adapters and builds the runtime; only the doors may know how',
  },
  {
    name: 'batch',
    paths: ['^src/batch/'],
    why:
      'the one batch runner and its per-path translations take their sinks, telemetry and logger as ports; ' +
      'they never build them',
  },
  {
    name: 'adapters',
    paths: ['^src/sinks/aws/', '^src/sinks/local/', '^src/observability/(?!telemetry\\.ts$)'],
    why:
      'S3, SNS, local files and Powertools implement the ports; they know nothing of the batch runner that ' +
      'drives them',
  },
  {
    name: 'ports',
    paths: ['^src/sinks/[^/]+\\.ts$', '^src/observability/telemetry\\.ts$', '^src/config\\.ts$'],
    why:
      'the sink and telemetry ports, the archive key layout and the typed configuration describe what adapters ' +
      'must do and read; they cannot depend on one adapter or on who calls them',
  },
  {
    name: 'pipeline',
    paths: ['^src/pipeline\\.ts$'],
    why: 'the pure core over one batch: it does no I/O, so it may not reach ports, adapters or the runner',
  },
  {
    name: 'domain',
    paths: [
      '^src/rules/',
      '^src/rates/',
      '^src/alerts/',
      '^src/normalize\\.ts$',
      '^src/sources/',
      '^src/pii\\.ts$',
      '^src/pii/',
      '^src/enrich\\.ts$',
      '^src/report/',
      '^src/analytics/',
    ],
    why:
      'normalizers, rules (event and rate), PII protection and enrichment are pure functions of records; ' +
      'the alerts (src/alerts/) are pure functions of the records a rule matched and of the rate counters: ' +
      'what an alert is (event or rate), how it is bounded and how it reads for a person, whatever carries ' +
      'it; the transports (src/sinks/) import them, never the other way; ' +
      'the report (src/report/) is a pure function of analytics rows: it adds them up and renders the page, ' +
      'and leaves reading them to the CLI; the analytics rows (src/analytics/) are a pure function of the ' +
      'protected records a batch delivers: the batch runner feeds and files them, the archive layout names them',
  },
  {
    name: 'leaves',
    paths: ['^src/(decode|fields|time|hash|hmac|schema|errors|logger|truncateText)\\.ts$', '^src/fixtures/'],
    why:
      'decoding, field readers, time, hashing, the schema, errors, the logger port and the one way texts from ' +
      'the data are cut depend on nothing of ours',
  },
];

const anyOf = (paths) => paths.join('|');

/** One rule per layer: nothing in it imports a layer above it. */
const layerRules = LAYERS.slice(1).map((layer, i) => {
  const above = LAYERS.slice(0, i + 1);
  return {
    name: `${layer.name}-imports-no-layer-above`,
    severity: 'error',
    comment: `${layer.name}: ${layer.why} (above it: ${above.map((l) => l.name).join(', ')})`,
    from: { path: anyOf(layer.paths) },
    to: { path: anyOf(above.flatMap((l) => l.paths)) },
  };
});

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'a cycle has no top and no bottom: one module cannot be read, tested or moved without the other',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-folder-cycle',
      severity: 'error',
      comment:
        'folders import each other one way: two folders (or more, around a loop) that import each other, even ' +
        'through files that do not, are one design cut in two, and neither can be read or moved alone. Move ' +
        'the shared piece to the folder that owns it, or to a leaf. Folders hold their subfolders: ' +
        'src/sinks/aws/ importing src/observability/, which imports src/sinks/ports.ts, is a loop ' +
        '(test/unit/dependencyRules.test.ts plants one)',
      scope: 'folder',
      from: {},
      to: { circular: true },
    },
    ...layerRules,
    {
      name: 'every-module-in-a-layer',
      severity: 'error',
      comment:
        'a module outside every layer escapes the rules above: give it a layer in .dependency-cruiser.js first',
      from: { path: '^(src|handlers)/', pathNot: anyOf(LAYERS.flatMap((l) => l.paths)) },
      to: { path: '^(src|handlers)/' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'an import that resolves to nothing is a typo or a missing dependency',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    includeOnly: '^(src|handlers)/',
    // Type-only imports are dependencies too: `import type` that climbs a layer is still a loop.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    // package.json (the CLI reads its version) is data, not a layer.
    exclude: { path: 'package\\.json$' },
  },
};

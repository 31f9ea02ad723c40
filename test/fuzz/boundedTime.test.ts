import { FUZZ_ENV, FUZZ_RULES_FILE } from './fuzzRuntime';
import {
  DEPTH,
  eventWith,
  hostileMix,
  nestedCases,
  ONE_MB,
  PATTERNS,
  type Place,
  patternPlaces,
  placeName,
  readPlaces,
} from './timing/timedCases';
import { TimedRunner, type TimeLimit } from './timing/timedRunner';

/**
 * Bounded time per record: 1 MB values in every place the normalizers read (every string field of every
 * family's shape, attribute/metric/context/tag keys and values, free text, URLs, event types), through every
 * kind of rule (test/fuzz/rules.fuzz.yaml: exact and glob matches on event_type and attributes, exact ones on
 * status and app_id), in both processors. A record may take at most FACTOR times a `JSON.parse(JSON.stringify(event))`
 * round trip of itself, or FLOOR_MS, whichever is more: generous, so that a loaded 2-core machine passes
 * linear code, while anything quadratic on 1 MB takes minutes. Records run in a child process killed at
 * CAP_MS; after MAX_FAILURES failures a test stops and says how many cases it did not run.
 */
const LIMIT: TimeLimit = { factor: 50, floorMs: 250, capMs: 5_000 };
/**
 * Every record runs at 64 KB first (killed at 1.5 s): anything quadratic already shows there and costs
 * seconds instead of minutes; only a record that passes at 64 KB runs at 1 MB.
 */
const STAGES = [
  { size: 65_536, capMs: 1_500 },
  { size: ONE_MB, capMs: LIMIT.capMs },
];
const MAX_FAILURES = 8;
const VERBOSE = process.env.FUZZ_VERBOSE === '1';

const places = readPlaces();

describe('fuzz: bounded time per record, 1 MB values', () => {
  let runner: TimedRunner;

  beforeAll(() => {
    runner = new TimedRunner({ ...FUZZ_ENV, RULES_FILE: FUZZ_RULES_FILE, LOG_LEVEL: 'silent' }, LIMIT);
  });

  afterAll(() => {
    runner.stop();
  });

  /** Runs the cases in order until MAX_FAILURES of them failed; fails with every violation found. */
  async function expectBounded(
    cases: ReadonlyArray<{ name: string; text: (size: number) => string }>,
  ): Promise<void> {
    const violations: string[] = [];
    let failed = 0;
    let run = 0;
    for (const c of cases) {
      if (failed >= MAX_FAILURES) break;
      run++;
      for (const stage of STAGES) {
        const result = await runner.run(c.name, c.text(stage.size), stage.capMs);
        const v = runner.violations(result);
        if (VERBOSE) {
          process.stderr.write(
            `${c.name} @${stage.size}: baseline ${result.baselineMs.toFixed(2)} ms, kinesis ${result.kinesisMs.toFixed(1)} ms, firehose ${result.firehoseMs.toFixed(1)} ms${v.length > 0 ? ' FAIL' : ''}\n`,
          );
        }
        if (v.length > 0) {
          failed++;
          violations.push(...v);
          break;
        }
      }
    }
    if (violations.length > 0) {
      const skipped = cases.length - run;
      throw new Error(
        `${failed} of ${run} records broke the bound (at most ${LIMIT.factor}× the JSON round trip or ${LIMIT.floorMs} ms; ` +
          `killed at ${STAGES.map((s) => `${s.capMs} ms at ${s.size} chars`).join(', ')})` +
          `${skipped > 0 ? `; stopped after ${MAX_FAILURES} failures, ${skipped} cases not run` : ''}:\n  ` +
          violations.join('\n  '),
      );
    }
  }

  it(`bounds every place the normalizers read (${places.length} places) with 1 MB of every hostile shape at once`, async () => {
    await expectBounded(
      places.map((p: Place) => ({
        name: placeName(p, 'hostile mix'),
        text: (size) => eventWith(p, hostileMix(size)),
      })),
    );
  }, 600_000);

  it.each(Object.keys(PATTERNS))(
    'bounds free text, ids, keys, URLs, addresses and event types holding 1 MB of %s',
    async (pattern) => {
      const make = PATTERNS[pattern] as (n: number) => string;
      await expectBounded(
        patternPlaces(places).map((p) => ({
          name: placeName(p, pattern),
          text: (size) => eventWith(p, make(size)),
        })),
      );
    },
    300_000,
  );

  it(`quarantines records nested ${DEPTH} deep with a clear reason (not a stack overflow), in bounded time`, async () => {
    const violations: string[] = [];
    for (const c of nestedCases(places)) {
      const result = await runner.run(c.name, c.text);
      violations.push(...runner.violations(result));
      if (result.killed === true || !c.mustBePoison) continue;
      for (const [path, o] of [
        ['kinesis', result.kinesis],
        ['firehose', result.firehose],
      ] as const) {
        const q = o.quarantine[0];
        if (q === undefined) {
          violations.push(
            `${c.name}: ${path} did not quarantine it (${o.error ?? o.result ?? `${o.normalized} normalized`})`,
          );
        } else if (
          c.saysTooDeep &&
          !/stack/i.test(String(q.detail)) &&
          !/nest|depth|deep|level/i.test(String(q.detail))
        ) {
          violations.push(
            `${c.name}: ${path} quarantined it as ${String(q.reason)} without saying it is too deep: ${String(q.detail)}`,
          );
        }
      }
    }
    if (violations.length > 0) throw new Error(violations.join('\n'));
  }, 300_000);
});

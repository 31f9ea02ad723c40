import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { version } from '../../package.json';
import { ConfigError, DeadlineError, DeliveryError, describeError, SinkError } from '../errors';
import { fixturesCommand } from './fixtures';
import { CliError, type CliIO, EXIT, oneLine, streamOutput } from './io';
import {
  DEFAULT_MAX_INFLATE_RATIO,
  DEFAULT_MAX_INPUT_BYTES,
  DEFAULT_MAX_OBJECT_BYTES,
  DEFAULT_MAX_OBJECT_RECORDS,
  DEFAULT_MAX_RECORD_BYTES,
  formatSize,
} from './limits';
import { BATCH_RECORDS, processCommand } from './process';
import { replayCommand } from './replay';
import { reportCommand } from './report';
import { rulesCheckCommand } from './rulesCheck';
import { parseRatio, parseSize } from './sizeOptions';

/**
 * The `pinpoint-stream` command line: commander parses the arguments, each command lives in its own file
 * and returns its exit code. Data goes to stdout, everything else to stderr. Exported for the docs test, which
 * compares the option lists of docs/cli.md with it.
 */
export function buildProgram(io: CliIO, setExitCode: (code: number) => void): Command {
  const program = new Command('pinpoint-stream')
    .description(
      'Normalize, enrich and route Amazon Pinpoint, End User Messaging and SES events outside Lambda: ' +
        'process files, replay the S3 archive, build Lambda test events, check routing rules, report on the analytics rows.',
    )
    .version(version, '-V, --version')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => void io.stdout.write(s),
      writeErr: (s) => void io.stderr.write(s),
      // The width of the terminal the help goes to, else 80 (commander's default looks at process.stdout,
      // which is not where an in-process run writes: help pasted into docs/cli.md must not depend on it).
      getOutHelpWidth: () => (io.stdout.isTTY === true ? (io.stdout.stream?.columns ?? 80) : 80),
      getErrHelpWidth: () => (io.stderr.isTTY === true ? (io.stderr.stream?.columns ?? 80) : 80),
    })
    .showHelpAfterError('(add --help for usage)')
    .addHelpText(
      'after',
      '\nExit codes: 0 ok, 1 bad usage or input, 2 bad rules or configuration, 3 a sink failed,\n' +
        '130 interrupted.\n\n' +
        'Configuration comes from the environment variables the Lambda functions read (PII_MODE,\n' +
        'PII_HASH_KEY, RULES_FILE, APP_METADATA, SINKS, ARCHIVE_BUCKET…). See docs/cli.md.',
    );

  program
    .command('process')
    .summary('run the pipeline over files or stdin')
    .description(
      'Run the pipeline (decode → normalize → enrich → route) over files of events and write normalized ' +
        'records, quarantine, alerts, analytics rows and rollups to a local folder, in the key layout of the ' +
        'S3 archive; ' +
        'count the rate rules into the rate store there (rates/), as the Lambda functions do: the same ' +
        'input counted once however often it is run. Ends with a summary table.\n\n' +
        'Inputs, gzip or not (detected by content): raw Pinpoint, End User Messaging or SES events as JSON ' +
        'Lines, concatenated JSON ({…}{…}, as in Firehose S3 objects) or a JSON array; raw archive or ' +
        'quarantine objects; Kinesis or Firehose Lambda events; normalized records (only the rules run ' +
        'again). `-` reads stdin.',
    )
    .argument('<files...>', 'input files, or - for stdin')
    .option('-o, --out <dir>', 'output folder (default: $LOCAL_SINK_DIR, else ./out)')
    .option('--stdout', 'print normalized records as JSON Lines on stdout instead of writing files')
    .option('--strict', 'exit 1 when any record is poison')
    .addOption(
      new Option('--batch-size <n>', 'records per batch at most (a batch also ends at 8 MiB of data)')
        .default(BATCH_RECORDS)
        .argParser(integer(1, 100_000)),
    )
    .option('--json', 'print the summary as one JSON object')
    .option(
      '--rates',
      'after the summary, print the rate store counters this run counted into (each rate rule over its own ' +
        'window; with --stdout, counted into a temporary store)',
    )
    .addOption(WINDOW_OPTION())
    .addOption(
      new Option(
        '--max-input-size <size>',
        'cap on the bytes of one input once decompressed (1GiB, 4G, 500MB)',
      )
        .default(DEFAULT_MAX_INPUT_BYTES, formatSize(DEFAULT_MAX_INPUT_BYTES))
        .argParser(parseSize),
    )
    .addOption(recordSizeOption('a line, a JSON value, an element of a JSON array, a Lambda event'))
    .addOption(inflateRatioOption())
    .addHelpText('after', LIMITS_HELP)
    .action(async (files: string[], opts) => {
      refuseWindow(opts);
      setExitCode(await processCommand(files, opts, io));
    });

  program
    .command('replay')
    .summary('replay archived raw batches from S3 to the configured sinks')
    .description(
      'Read the raw batches archived under s3://<bucket>/<prefix>raw/ and drive them through the pipeline ' +
        'to the sinks the environment configures (SINKS=aws with ARCHIVE_BUCKET, ARCHIVE_PREFIX, ' +
        'ALERT_TOPIC_ARN…, or SINKS=local): after a rule change, or to rebuild the normalized zone.\n\n' +
        'Each batch keeps its identity, so normalized and quarantine objects get the keys of the original ' +
        'run, and running again overwrites them. Raw objects are not rewritten. Finished objects are ' +
        'recorded in the checkpoint file: an interrupted replay resumes where it stopped.',
    )
    .requiredOption('--bucket <name>', 'bucket holding the archive')
    .option('--prefix <prefix>', 'archive prefix (the ARCHIVE_PREFIX of the original run)')
    .option('--from <time>', 'first partition: YYYY-MM-DD or YYYY-MM-DDTHH (UTC), inclusive')
    .option('--to <time>', 'last partition: YYYY-MM-DD or YYYY-MM-DDTHH (UTC), inclusive')
    .option('--checkpoint <file>', 'checkpoint file', '.replay-checkpoint.json')
    .option('--restart', 'ignore the checkpoint and replay everything again')
    .option('--no-alerts', 'do not send alerts (rebuild the archive only)')
    .addOption(
      new Option('--concurrency <n>', 'objects replayed in parallel').default(4).argParser(integer(1, 64)),
    )
    .option('--json', 'print the summary as one JSON object')
    .option(
      '--rates',
      'count the records replayed into a temporary rate store (never the live one: they were counted when ' +
        'they arrived) and print its counters; the rate alerts are printed, and sent only with --send-rate-alerts',
    )
    .option(
      '--send-rate-alerts',
      'with --rates: send the rate alerts to the alert sink too (history: they may page someone)',
    )
    .addOption(WINDOW_OPTION())
    .addOption(
      new Option(
        '--max-object-size <size>',
        'cap on the bytes of one raw object, its ContentLength checked before reading, and once decompressed',
      )
        .default(DEFAULT_MAX_OBJECT_BYTES, formatSize(DEFAULT_MAX_OBJECT_BYTES))
        .argParser(parseSize),
    )
    .addOption(
      new Option('--max-object-records <n>', 'cap on the records (lines) of one raw object')
        .default(DEFAULT_MAX_OBJECT_RECORDS)
        .argParser(integer(1, 100_000_000)),
    )
    .addOption(recordSizeOption('a line of a raw object'))
    .addOption(inflateRatioOption())
    .addHelpText('after', LIMITS_HELP)
    .action(async (opts) => {
      refuseWindow(opts);
      setExitCode(await replayCommand(opts, io));
    });

  program
    .command('fixtures')
    .summary('wrap raw events into Kinesis and Firehose Lambda events')
    .description(
      'Wrap raw service events into a Kinesis and a Firehose Lambda event, for `sls invoke local -p` and ' +
        'tests. Inputs hold a JSON object, a JSON array or JSON Lines. Writes <out>/kinesis-<name>.json and ' +
        '<out>/firehose-<name>.json: one pair per input file, or one pair for all inputs with --name.',
    )
    .argument('<files...>', 'files of raw events')
    .option('-o, --out <dir>', 'output folder', 'events')
    .option(
      '-n, --name <name>',
      'one pair named <name> for all inputs (default: one per file, named after it)',
    )
    .option('--shard-id <id>', 'Kinesis shard id', 'shardId-000000000000')
    .option('--json', 'print the files written as one JSON object')
    .action(async (files: string[], opts) => setExitCode(await fixturesCommand(files, opts, io)));

  program
    .command('report')
    .summary('an HTML report of the analytics rows of a range of days')
    .description(
      'Read the analytics rows (analytics/dt=…/hour=…/…jsonl.gz: the counts every batch writes, ' +
        'docs/analytics.md) and the rate alerts (alerts/) of the days from --from to --to, from a local output ' +
        'folder (process --out, npm run local) or from the S3 archive, and write one self-contained HTML page: ' +
        'volume per channel and day; delivery, open, click, bounce and complaint rates against the SES ' +
        'thresholds; SMS delivery and failure rates; campaigns, configuration sets and journeys with their ' +
        'funnels; rates over time; email by mailbox provider; SMS and voice by country with spend; bounce, ' +
        'complaint and failure reasons; rate alerts; quarantine by reason. Never reads raw/, normalized/ or ' +
        'quarantine/. With --json, prints the same numbers as one JSON object.',
    )
    .option('--from <date>', 'first day, YYYY-MM-DD (UTC), inclusive')
    .option('--to <date>', 'last day, YYYY-MM-DD (UTC), inclusive (at most 366 days after --from)')
    .option('--dir <dir>', 'a local output folder (process --out, LOCAL_SINK_DIR, .local)')
    .option('--bucket <name>', 'or the S3 bucket holding the archive')
    .option('--prefix <prefix>', 'with --bucket: the archive prefix (ARCHIVE_PREFIX)')
    .option('-o, --out <file>', 'the HTML file to write', 'report.html')
    .option('--json', 'print the numbers as one JSON object on stdout too')
    .addOption(
      new Option(
        '--max-object-size <size>',
        'cap on the bytes of one analytics or alerts object, as listed and once decompressed',
      )
        .default(DEFAULT_MAX_OBJECT_BYTES, formatSize(DEFAULT_MAX_OBJECT_BYTES))
        .argParser(parseSize),
    )
    .addOption(recordSizeOption('a line of an analytics or alerts object'))
    .addOption(inflateRatioOption())
    .addOption(
      new Option('--concurrency <n>', 'objects read at once (default: 8 from S3, 4 from a folder)').argParser(
        integer(1, 64),
      ),
    )
    .addHelpText(
      'after',
      '\nCounts are deliveries: an event delivered twice (same event_id) counts twice. On S3, rate alerts go\n' +
        'to SNS, not to the bucket: the page lists them only where an alerts/ prefix exists. See docs/report.md.\n',
    )
    .action(async (opts) => setExitCode(await reportCommand(opts, io)));

  const rules = program
    .command('rules')
    .summary('routing rules tools')
    .description('Routing rules tools.')
    .helpCommand(false);
  rules
    .command('check')
    .summary('validate a rules file; show which rules match the sample events')
    .description(
      'Validate a rules file (YAML or JSON; the shipped defaults when none is given) and show, for the ' +
        'sample events, which rules match each event type, and which rules match none. Exits 2 when the ' +
        'file is invalid.',
    )
    .argument('[file]', 'rules file (default: the shipped default rules)')
    .option('--events <dir>', 'sample events to match (default: the bundled events/raw)')
    .option('--json', 'print the result as one JSON object')
    .action(async (file: string | undefined, opts) => setExitCode(await rulesCheckCommand(file, opts, io)));

  return program;
}

/** Runs the CLI with arguments (without `node` and the script) and returns the exit code. Never exits. */
export async function runCli(argv: readonly string[], io: CliIO): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram(io, (c) => {
    code = c;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (err) {
    // Commander has printed its own message (or the help) already.
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.input;
    await io.stderr.write(`error: ${oneLine(err instanceof CliError ? err.message : describeError(err))}\n`);
    return exitCodeOf(err);
  }
}

/** The exit code of an error a command did not handle itself (docs/cli.md). */
function exitCodeOf(err: unknown): number {
  if (err instanceof CliError) return err.exitCode;
  if (err instanceof ConfigError) return EXIT.config;
  if (err instanceof SinkError || err instanceof DeadlineError || err instanceof DeliveryError)
    return EXIT.sink;
  return EXIT.input;
}

/** `--max-record-size`, for process and replay; `what` says what a record is there. */
function recordSizeOption(what: string): Option {
  return new Option('--max-record-size <size>', `cap on the bytes of one record: ${what}`)
    .default(DEFAULT_MAX_RECORD_BYTES, formatSize(DEFAULT_MAX_RECORD_BYTES))
    .argParser(parseSize);
}

/** `--max-inflate-ratio`, for process and replay. */
function inflateRatioOption(): Option {
  return new Option('--max-inflate-ratio <n>', 'cap on how many times its size gzip input may inflate to')
    .default(DEFAULT_MAX_INFLATE_RATIO)
    .argParser(parseRatio);
}

const LIMITS_HELP =
  '\nInput over a cap stops the command (exit 1) with the input, the cap and the option\n' +
  'that raises it. A record is at most 8 MiB: a Kinesis or Firehose record holds at\n' +
  'most 1 MiB of data, and archived as text or base64 with its envelope, or sent as a\n' +
  'Lambda event (6 MB at most), stays under it. Gzip data inflates at most 250 times\n' +
  'its size: event files inflate 7 to 30 times, a decompression bomb about 1,000.\n' +
  'Sizes take a unit: 8MiB, 512KiB, 2G. See docs/cli.md.\n';

/**
 * `--window`, gone: each rate rule counts over its own window. Still parsed (hidden, its value optional), so
 * that a script that passes it stops with what to do instead rather than with commander's unknown option.
 */
const WINDOW_OPTION = () => new Option('--window [duration]').hideHelp();

export const WINDOW_GONE =
  '--window is gone: each rate rule counts over its own window (window: in the rules file, default 1h); ' +
  '--rates prints the rates';

/** @throws CliError (exit 1) when `--window` was given */
function refuseWindow(opts: { window?: unknown }): void {
  if (opts.window !== undefined) throw new CliError(EXIT.input, WINDOW_GONE);
}

function integer(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
    }
    return n;
  };
}

/** The process entry point (bin/pinpoint-stream.js): real streams, Ctrl-C handling, the exit code. */
export async function main(): Promise<void> {
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(EXIT.interrupted);
    controller.abort();
    process.stderr.write('\nstopping after the work in progress (Ctrl-C again to quit now)\n');
  };
  process.on('SIGINT', onSigint);
  // `… | head`: the reader went away; that is not an error of ours.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  const code = await runCli(process.argv.slice(2), {
    stdout: streamOutput(process.stdout),
    stderr: streamOutput(process.stderr),
    env: process.env,
    cwd: process.cwd(),
    stdin: process.stdin,
    signal: controller.signal,
  });
  process.off('SIGINT', onSigint);
  process.exitCode = code;
}

if (require.main === module) void main();

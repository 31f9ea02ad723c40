import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';

/** What the worker says about one record (test/fuzz/timing/worker.ts). */
export interface TimedResult {
  name: string;
  bytes: number;
  baselineMs: number;
  kinesisMs: number;
  firehoseMs: number;
  kinesis: WorkerOutcome;
  firehose: WorkerOutcome;
  /** The worker was killed: the record did not finish within `capMs`. */
  killed?: boolean;
  capMs: number;
}

export interface WorkerOutcome {
  error?: string;
  failures?: number;
  result?: string;
  normalized: number;
  quarantine: Array<{ reason: unknown; detail: unknown }>;
}

export interface TimeLimit {
  /** A record may take this many times its JSON round trip… */
  factor: number;
  /** …or this long, whichever is more (a floor for a loaded 2-core machine). */
  floorMs: number;
  /** Past this the worker is killed and the record reported as never finishing (at full size). */
  capMs: number;
}

const ROOT = join(__dirname, '..', '..', '..');

/**
 * Runs records in a child process that it can kill: a record that never finishes (catastrophic
 * backtracking) costs the cap, not the test run. The worker is bundled once with esbuild, packages left to
 * the repository's node_modules (NODE_PATH), so that a restart after a kill takes milliseconds.
 */
export class TimedRunner {
  private child?: ChildProcess;
  private ready?: Promise<void>;
  private nextId = 0;
  private readonly dir: string;
  private readonly bundle: string;

  constructor(
    private readonly env: Record<string, string>,
    readonly limit: TimeLimit,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), 'fuzz-timing-'));
    this.bundle = join(this.dir, 'worker.js');
    buildSync({
      entryPoints: [join(__dirname, 'worker.ts')],
      bundle: true,
      platform: 'node',
      target: 'node22',
      format: 'cjs',
      packages: 'external',
      outfile: this.bundle,
      logLevel: 'silent',
    });
  }

  private start(): Promise<void> {
    const child = fork(this.bundle, [], {
      env: { ...process.env, NODE_PATH: join(ROOT, 'node_modules') },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    this.child = child;
    this.ready = new Promise((resolve, reject) => {
      const onMessage = (m: { type?: string }) => {
        if (m.type !== 'ready') return;
        child.off('message', onMessage);
        resolve();
      };
      child.on('message', onMessage);
      child.once('exit', (code) => reject(new Error(`timing worker exited (${code}) before it was ready`)));
      child.send({ type: 'init', env: this.env });
    });
    return this.ready;
  }

  /** Times one event (its JSON text) through both processors, or kills the worker at `capMs`. */
  async run(name: string, text: string, capMs = this.limit.capMs): Promise<TimedResult> {
    if (this.child === undefined || this.child.exitCode !== null || this.child.killed) await this.start();
    else await this.ready;
    const child = this.child as ChildProcess;
    const id = this.nextId++;
    return new Promise((resolve) => {
      const onMessage = (m: { type?: string; id?: number } & Omit<TimedResult, 'name'>) => {
        if (m.type !== 'result' || m.id !== id) return;
        clearTimeout(timer);
        child.off('message', onMessage);
        resolve({ ...m, name, capMs });
      };
      const timer = setTimeout(() => {
        child.off('message', onMessage);
        child.kill('SIGKILL');
        this.child = undefined;
        const none: WorkerOutcome = { normalized: 0, quarantine: [] };
        resolve({
          name,
          bytes: text.length,
          baselineMs: Number.NaN,
          kinesisMs: capMs,
          firehoseMs: capMs,
          kinesis: none,
          firehose: none,
          killed: true,
          capMs,
        });
      }, capMs);
      child.on('message', onMessage);
      child.send({
        type: 'case',
        id,
        text,
        limit: { factor: this.limit.factor, floorMs: this.limit.floorMs },
      });
    });
  }

  stop(): void {
    this.child?.kill('SIGKILL');
    this.child = undefined;
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** What is wrong with one result: too slow, killed, threw, or not exactly one outcome. */
  violations(r: TimedResult): string[] {
    const out: string[] = [];
    const size = r.bytes >= 1e6 ? `${(r.bytes / 1e6).toFixed(2)} MB` : `${Math.round(r.bytes / 1024)} KB`;
    if (r.killed === true)
      return [`${r.name}: did not finish within ${r.capMs} ms (${size} record; worker killed)`];
    const allowed = Number.isFinite(r.baselineMs)
      ? Math.max(this.limit.floorMs, this.limit.factor * r.baselineMs)
      : this.limit.floorMs;
    for (const [path, ms] of [
      ['kinesis', r.kinesisMs],
      ['firehose', r.firehoseMs],
    ] as const) {
      if (ms > allowed) {
        out.push(
          `${r.name}: ${path} took ${ms.toFixed(0)} ms, ${(ms / r.baselineMs).toFixed(0)}× the JSON round trip ` +
            `(${r.baselineMs.toFixed(1)} ms for ${size}; allowed ${allowed.toFixed(0)} ms)`,
        );
      }
    }
    for (const [path, o] of [
      ['kinesis', r.kinesis],
      ['firehose', r.firehose],
    ] as const) {
      if (o.error !== undefined) out.push(`${r.name}: ${path} threw ${o.error}`);
      else if (o.normalized + o.quarantine.length + (o.result === 'Dropped' ? 1 : 0) !== 1) {
        out.push(
          `${r.name}: ${path} gave ${o.normalized} normalized and ${o.quarantine.length} quarantined for one record`,
        );
      }
      if ((o.failures ?? 0) > 0) out.push(`${r.name}: ${path} reported the record for retry`);
      for (const q of o.quarantine) {
        if (typeof q.detail === 'string' && /call stack|stack size/i.test(q.detail)) {
          out.push(`${r.name}: ${path} quarantined it for a stack overflow: ${q.detail}`);
        }
      }
    }
    return out;
  }
}

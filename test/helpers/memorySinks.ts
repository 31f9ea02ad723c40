import type { AnyAlert } from '../../src/alerts/anyAlert';
import { SinkError } from '../../src/errors';
import type {
  AlertSink,
  ArchiveObject,
  ArchiveSink,
  ArchiveZone,
  BatchRef,
  PublishResult,
  WriteOptions,
} from '../../src/sinks/ports';

/** Archive sink that keeps objects in memory (by key, so retries overwrite) and fails on demand. */
export class MemoryArchiveSink implements ArchiveSink {
  readonly objects = new Map<string, ArchiveObject>();
  failZones = new Set<ArchiveZone>();
  failKeys: (key: string) => boolean = () => false;
  calls = 0;

  /** The options of every put, in call order. */
  readonly writeOptions: Array<WriteOptions | undefined> = [];
  /** When true, every put waits until its signal aborts it (a write that would never end), then fails. */
  hang = false;
  /** `performance.now()` of every abort of a hanging put. */
  readonly abortedAt: number[] = [];

  async put(object: ArchiveObject, options?: WriteOptions): Promise<void> {
    this.calls++;
    this.writeOptions.push(options);
    if (this.hang) {
      const signal = options?.signal;
      if (signal === undefined) throw new Error('a hanging write without a signal would never end');
      await new Promise<void>((_resolve, reject) => {
        const abort = () => {
          this.abortedAt.push(performance.now());
          reject(signal.reason);
        };
        if (signal.aborted) abort();
        else signal.addEventListener('abort', abort, { once: true });
      });
    }
    if (this.failZones.has(object.zone) || this.failKeys(object.key)) {
      throw new SinkError('archive', `injected failure for ${object.key}`);
    }
    this.objects.set(object.key, object);
  }

  zone(zone: ArchiveZone): ArchiveObject[] {
    return [...this.objects.values()].filter((o) => o.zone === zone);
  }

  lines(zone: ArchiveZone): string[] {
    return this.zone(zone).flatMap((o) => [...o.lines]);
  }
}

/** Alert sink that keeps alerts by id (as SNS FIFO deduplication would) and fails on demand. */
export class MemoryAlertSink implements AlertSink {
  readonly alerts = new Map<string, AnyAlert>();
  /** Every publish call's alerts, duplicates included: to count pages. */
  readonly published: AnyAlert[] = [];
  down = false;
  failRules = new Set<string>();

  async publish(alerts: readonly AnyAlert[], _batch: BatchRef): Promise<PublishResult> {
    if (this.down) throw new SinkError('alerts', 'injected outage');
    const failed: string[] = [];
    for (const a of alerts) {
      if (this.failRules.has(a.rule)) {
        failed.push(a.alert_id);
        continue;
      }
      this.published.push(a);
      this.alerts.set(a.alert_id, a);
    }
    return { failed };
  }
}

import type { NormalizedRecord } from './schema';

/** Descriptive metadata for one Pinpoint app (many apps stream into one stream). */
export interface AppMetadata {
  name?: string;
  environment?: string;
  owner?: string;
}

export type AppMetadataMap = Readonly<Record<string, Readonly<AppMetadata>>>;

/**
 * Adds what the event itself does not say: the app's name, environment and owner from the configured map.
 * (Derived fields that come from the event — bounce class, price in USD, latency, endpoint channel — are
 * set by the source normalizers, which know where each one sits.)
 */
export function enrich(rec: NormalizedRecord, apps: AppMetadataMap): void {
  const id = rec.app_id;
  // Own entries only: the id comes from the data, and `apps.constructor` or `apps.toString` would answer
  // with Object.prototype's members.
  if (id === undefined || !Object.hasOwn(apps, id)) return;
  const app = apps[id];
  if (app === undefined) return;
  if (app.name !== undefined) rec.app_name = app.name;
  if (app.environment !== undefined) rec.app_environment = app.environment;
  if (app.owner !== undefined) rec.app_owner = app.owner;
}

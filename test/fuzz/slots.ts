/**
 * Slots: every property of every object and array of an event, addressable by a path, so that generators
 * can change, remove or plant values anywhere in it.
 */

export type JsonObject = Record<string, unknown>;

export interface Slot {
  parent: JsonObject | unknown[];
  key: string | number;
  path: string;
}

export function slotsOf(root: unknown): Slot[] {
  const out: Slot[] = [];
  const walk = (value: unknown, path: string, depth: number) => {
    if (depth > 40) return;
    if (Array.isArray(value)) {
      value.forEach((v, i) => {
        const p = `${path}[${i}]`;
        out.push({ parent: value, key: i, path: p });
        walk(v, p, depth + 1);
      });
    } else if (value !== null && typeof value === 'object') {
      for (const k of Object.keys(value)) {
        const p = path === '' ? k : `${path}.${k}`;
        out.push({ parent: value as JsonObject, key: k, path: p });
        walk((value as JsonObject)[k], p, depth + 1);
      }
    }
  };
  walk(root, '', 0);
  return out;
}

export function getSlot(slot: Slot): unknown {
  return (slot.parent as Record<string | number, unknown>)[slot.key];
}

/** Sets a property as an own data property, even when it is named `__proto__`. */
export function setOwn(target: JsonObject | unknown[], key: string | number, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

export function removeSlot(slot: Slot): void {
  if (Array.isArray(slot.parent)) slot.parent.splice(slot.key as number, 1);
  else delete slot.parent[slot.key as string];
}

export function renameSlot(slot: Slot, key: string): void {
  if (Array.isArray(slot.parent)) return;
  const value = slot.parent[slot.key as string];
  delete slot.parent[slot.key as string];
  setOwn(slot.parent, key, value);
}

/**
 * JSON documents carried inside strings (Pinpoint's endpoint record, SMS `customer_context`, the SES event an
 * SNS notification carries in `Message`): opened into objects so that mutations and planted values reach
 * inside them, then closed again. `Message` first: the paths inside it are found once it is open.
 */
const EMBEDDED_JSON = [
  'Message',
  'client_context.custom.endpoint',
  'attributes.customer_context',
  'Message.client_context.custom.endpoint',
  'Message.attributes.customer_context',
];

export function openEmbedded(event: JsonObject): string[] {
  const opened: string[] = [];
  for (const path of EMBEDDED_JSON) {
    const slot = slotsOf(event).find((s) => s.path === path);
    const value = slot === undefined ? undefined : getSlot(slot);
    if (slot === undefined || typeof value !== 'string') continue;
    try {
      const parsed = JSON.parse(value);
      if (parsed !== null && typeof parsed === 'object') {
        setOwn(slot.parent, slot.key, parsed);
        opened.push(path);
      }
    } catch {
      // Not JSON: left as it is.
    }
  }
  return opened;
}

export function closeEmbedded(event: JsonObject, opened: readonly string[]): void {
  // Innermost first: a document inside `Message` is a string again before `Message` is.
  for (const path of [...opened].reverse()) {
    const slot = slotsOf(event).find((s) => s.path === path);
    if (slot === undefined) continue;
    const value = getSlot(slot);
    if (value !== null && typeof value === 'object') setOwn(slot.parent, slot.key, JSON.stringify(value));
  }
}

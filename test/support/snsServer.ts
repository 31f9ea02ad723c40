import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One message as SNS would have accepted it. */
export interface SnsMessage {
  topicArn: string;
  messageId: string;
  entryId?: string;
  subject?: string;
  message: string;
  attributes: Record<string, string>;
  groupId?: string;
  deduplicationId?: string;
}

/** A request or batch entry the server refused, as SNS would have. */
export interface SnsRejection {
  action: string;
  /** The batch entry, for a per-entry failure; absent when the whole request was refused. */
  entryId?: string;
  status: number;
  code: string;
  message: string;
}

/**
 * SNS limits, as the Amazon SNS API Reference states them (Publish, PublishBatch, MessageAttributeValue):
 * a message of at most 262,144 bytes of UTF-8 with its attributes (name, type and value each count), a subject
 * under 100 characters without line breaks or control characters, attribute names, types and values never
 * empty, at most 10 entries and 262,144 bytes in all per PublishBatch. Where the reference is silent (does the
 * subject count toward the size?) the server is the stricter: it counts it.
 */
export const SNS_TEST_LIMITS = Object.freeze({
  messageBytes: 262_144,
  batchBytes: 262_144,
  batchEntries: 10,
  subjectChars: 99,
});

/**
 * A small SNS endpoint speaking the AWS Query protocol for Publish and PublishBatch — enough for the real
 * SDK client — that refuses what SNS refuses, with SNS's error codes (the wire codes of the SDK's error
 * model, all HTTP 400): a message too long or an invalid subject `InvalidParameter`, an empty attribute value
 * `ParameterValueInvalid` (InvalidParameterValueException), more than 10 entries
 * `TooManyEntriesInBatchRequest`, a batch over 256 KiB `BatchRequestTooLong`, no entries `EmptyBatchRequest`,
 * the same entry id twice `BatchEntryIdsNotDistinct`. In a batch, an invalid entry fails alone (sender fault)
 * while a batch over the limits is refused whole. Fault injection: a whole-request failure status, or
 * per-entry failures. Models FIFO deduplication: on a `.fifo` topic a repeated deduplication id is accepted
 * but not delivered again.
 */
export class SnsTestServer {
  /** Every accepted message, duplicates included. */
  readonly accepted: SnsMessage[] = [];
  /** Every request or entry refused for breaking an SNS limit (injected faults are not listed). */
  readonly rejected: SnsRejection[] = [];
  /** Messages a subscriber would receive (FIFO duplicates removed). */
  readonly delivered: SnsMessage[] = [];
  /** Answer every request with this HTTP status (500, 503…) instead of processing it. */
  failStatus: number | undefined;
  /** Report these batch entries as failed (per-entry failure inside a 200 response). */
  failEntry: (entry: SnsMessage) => boolean = () => false;
  requests = 0;
  private server: Server | undefined;
  private readonly seenDedup = new Set<string>();

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err) => {
        res.statusCode = 500;
        res.end(String(err));
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  reset(): void {
    this.accepted.length = 0;
    this.rejected.length = 0;
    this.delivered.length = 0;
    this.seenDedup.clear();
    this.failStatus = undefined;
    this.failEntry = () => false;
    this.requests = 0;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requests++;
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const params = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    const requestId = randomUUID();
    res.setHeader('content-type', 'text/xml');
    if (this.failStatus !== undefined) {
      res.statusCode = this.failStatus;
      res.end(
        errorXml(
          this.failStatus === 503 ? 'ServiceUnavailable' : 'InternalError',
          'injected fault',
          requestId,
        ),
      );
      return;
    }
    const action = params.get('Action') ?? '';
    const topicArn = params.get('TopicArn') ?? '';
    const refuse = (status: number, code: string, message: string) => {
      this.rejected.push({ action, status, code, message });
      res.statusCode = status;
      res.end(errorXml(code, message, requestId, 'Sender'));
    };
    if (action === 'Publish') {
      const read = readMessage(params, '', topicArn);
      const invalid = validate(read);
      if (invalid !== undefined) return refuse(400, invalid.code, invalid.message);
      const msg = this.accept(read.message);
      res.end(
        `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>${msg.messageId}</MessageId></PublishResult><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></PublishResponse>`,
      );
      return;
    }
    if (action === 'PublishBatch') {
      const entries: ReadMessage[] = [];
      for (let i = 1; params.has(`PublishBatchRequestEntries.member.${i}.Id`); i++) {
        entries.push(readMessage(params, `PublishBatchRequestEntries.member.${i}.`, topicArn));
      }
      if (entries.length === 0) {
        return refuse(400, 'EmptyBatchRequest', "The batch request doesn't contain any entries.");
      }
      if (entries.length > SNS_TEST_LIMITS.batchEntries) {
        return refuse(
          400,
          'TooManyEntriesInBatchRequest',
          `The batch request contains more entries than permissible (more than ${SNS_TEST_LIMITS.batchEntries}).`,
        );
      }
      if (new Set(entries.map((e) => e.message.entryId)).size !== entries.length) {
        return refuse(
          400,
          'BatchEntryIdsNotDistinct',
          'Two or more batch entries in the request have the same Id.',
        );
      }
      const total = entries.reduce((n, e) => n + e.bytes, 0);
      if (total > SNS_TEST_LIMITS.batchBytes) {
        return refuse(
          400,
          'BatchRequestTooLong',
          `The length of all the batch messages put together is more than the limit (${total} bytes).`,
        );
      }
      const ok: string[] = [];
      const failed: string[] = [];
      for (const entry of entries) {
        const invalid = validate(entry);
        if (invalid !== undefined) {
          this.rejected.push({ action, entryId: entry.message.entryId, status: 400, ...invalid });
          failed.push(
            `<member><Id>${entry.message.entryId}</Id><Code>${invalid.code}</Code><Message>${escapeXml(invalid.message)}</Message><SenderFault>true</SenderFault></member>`,
          );
        } else if (this.failEntry(entry.message)) {
          failed.push(
            `<member><Id>${entry.message.entryId}</Id><Code>InternalError</Code><Message>injected entry failure</Message><SenderFault>false</SenderFault></member>`,
          );
        } else {
          const msg = this.accept(entry.message);
          ok.push(`<member><Id>${msg.entryId}</Id><MessageId>${msg.messageId}</MessageId></member>`);
        }
      }
      res.end(
        `<PublishBatchResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishBatchResult><Successful>${ok.join('')}</Successful><Failed>${failed.join('')}</Failed></PublishBatchResult><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></PublishBatchResponse>`,
      );
      return;
    }
    res.statusCode = 400;
    res.end(errorXml('InvalidAction', `unsupported action ${action}`, requestId, 'Sender'));
  }

  private accept(msg: SnsMessage): SnsMessage {
    this.accepted.push(msg);
    const fifo = msg.topicArn.endsWith('.fifo');
    if (!fifo || msg.deduplicationId === undefined || !this.seenDedup.has(msg.deduplicationId)) {
      this.delivered.push(msg);
      if (msg.deduplicationId !== undefined) this.seenDedup.add(msg.deduplicationId);
    }
    return msg;
  }
}

/** A message as sent, with what SNS checks: the bytes it counts, the attribute data types, the subject as given. */
interface ReadMessage {
  message: SnsMessage;
  /** UTF-8 bytes of message, subject, and attribute names, data types and values. */
  bytes: number;
  dataTypes: Record<string, string>;
  subject: string | null;
}

function readMessage(params: URLSearchParams, prefix: string, topicArn: string): ReadMessage {
  const attributes: Record<string, string> = {};
  const dataTypes: Record<string, string> = {};
  const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');
  let bytes = 0;
  for (let j = 1; params.has(`${prefix}MessageAttributes.entry.${j}.Name`); j++) {
    const name = params.get(`${prefix}MessageAttributes.entry.${j}.Name`) as string;
    const dataType = params.get(`${prefix}MessageAttributes.entry.${j}.Value.DataType`) ?? '';
    const value = params.get(`${prefix}MessageAttributes.entry.${j}.Value.StringValue`) ?? '';
    attributes[name] = value;
    dataTypes[name] = dataType;
    bytes += utf8(name) + utf8(dataType) + utf8(value);
  }
  const msg: SnsMessage = {
    topicArn,
    messageId: randomUUID(),
    message: params.get(`${prefix}Message`) ?? '',
    attributes,
  };
  const set = (key: keyof SnsMessage, param: string) => {
    const v = params.get(`${prefix}${param}`);
    if (v !== null) (msg as unknown as Record<string, string>)[key] = v;
  };
  set('entryId', 'Id');
  set('subject', 'Subject');
  set('groupId', 'MessageGroupId');
  set('deduplicationId', 'MessageDeduplicationId');
  const subject = params.get(`${prefix}Subject`);
  bytes += utf8(msg.message) + utf8(subject ?? '');
  return { message: msg, bytes, dataTypes, subject };
}

/** What SNS says about one message, or undefined when it takes it. */
function validate(read: ReadMessage): { code: string; message: string } | undefined {
  const { message, subject } = read;
  if (message.message.length === 0)
    return { code: 'InvalidParameter', message: 'Invalid parameter: Empty message' };
  if (read.bytes > SNS_TEST_LIMITS.messageBytes) {
    return { code: 'InvalidParameter', message: `Invalid parameter: Message too long (${read.bytes} bytes)` };
  }
  if (
    subject !== null &&
    (subject.length === 0 ||
      subject.length > SNS_TEST_LIMITS.subjectChars ||
      !/^[\x21-\x7e][\x20-\x7e]*$/.test(subject))
  ) {
    return { code: 'InvalidParameter', message: 'Invalid parameter: Subject' };
  }
  for (const [name, value] of Object.entries(message.attributes)) {
    const dataType = read.dataTypes[name] ?? '';
    if (name.length === 0 || dataType.length === 0 || value.length === 0) {
      return {
        code: 'ParameterValueInvalid',
        message: `The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${dataType}'.`,
      };
    }
  }
  return undefined;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function errorXml(
  code: string,
  message: string,
  requestId: string,
  type: 'Sender' | 'Receiver' = 'Receiver',
): string {
  return `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>${type}</Type><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
}

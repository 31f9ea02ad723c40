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

/**
 * A small SNS endpoint speaking the AWS Query protocol for Publish and PublishBatch — enough for the real
 * SDK client — with fault injection: a whole-request failure status, or per-entry failures. Models FIFO
 * deduplication: on a `.fifo` topic a repeated deduplication id is accepted but not delivered again.
 */
export class SnsTestServer {
  /** Every accepted message, duplicates included. */
  readonly accepted: SnsMessage[] = [];
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
    const action = params.get('Action');
    const topicArn = params.get('TopicArn') ?? '';
    if (action === 'Publish') {
      const msg = this.accept(readMessage(params, '', topicArn));
      res.end(
        `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>${msg.messageId}</MessageId></PublishResult><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></PublishResponse>`,
      );
      return;
    }
    if (action === 'PublishBatch') {
      const ok: string[] = [];
      const failed: string[] = [];
      for (let i = 1; params.has(`PublishBatchRequestEntries.member.${i}.Id`); i++) {
        const entry = readMessage(params, `PublishBatchRequestEntries.member.${i}.`, topicArn);
        if (this.failEntry(entry)) {
          failed.push(
            `<member><Id>${entry.entryId}</Id><Code>InternalError</Code><Message>injected entry failure</Message><SenderFault>false</SenderFault></member>`,
          );
        } else {
          const msg = this.accept(entry);
          ok.push(`<member><Id>${msg.entryId}</Id><MessageId>${msg.messageId}</MessageId></member>`);
        }
      }
      res.end(
        `<PublishBatchResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishBatchResult><Successful>${ok.join('')}</Successful><Failed>${failed.join('')}</Failed></PublishBatchResult><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></PublishBatchResponse>`,
      );
      return;
    }
    res.statusCode = 400;
    res.end(errorXml('InvalidAction', `unsupported action ${action}`, requestId));
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

function readMessage(params: URLSearchParams, prefix: string, topicArn: string): SnsMessage {
  const attributes: Record<string, string> = {};
  for (let j = 1; params.has(`${prefix}MessageAttributes.entry.${j}.Name`); j++) {
    const name = params.get(`${prefix}MessageAttributes.entry.${j}.Name`) as string;
    attributes[name] = params.get(`${prefix}MessageAttributes.entry.${j}.Value.StringValue`) ?? '';
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
  return msg;
}

function errorXml(code: string, message: string, requestId: string): string {
  return `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Receiver</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
}

import { sleep } from "./http.js";

/** How long a claimed record stays hidden from other consumers before it comes back unacknowledged. */
const VISIBILITY = "5s";

/** What arrived on the egress topic, deduplicated by payload id and by `Statefun-Record-Id`. */
export interface EgressSummary {
  /** Payload ids that arrived (each counted once). */
  readonly ids: ReadonlySet<string>;
  /** Responses with a record, redeliveries included. */
  readonly deliveries: number;
  /** Deliveries of a record id seen before (at-least-once redelivery: allowed). */
  readonly redeliveries: number;
  /** Payload ids that arrived under two or more record ids: the egress effect was applied twice. */
  readonly producedTwice: ReadonlyMap<string, readonly string[]>;
  /** Record ids that arrived with two different payloads: the idempotency key is not stable. */
  readonly unstableRecordIds: ReadonlyMap<string, readonly string[]>;
  /** Payloads not of this run (another run's leftovers on a shared topic), ignored. */
  readonly foreign: number;
}

/**
 * Consumes an egress topic continuously from every worker, the way a downstream consumer that
 * must not miss a record would: `POST /{topic}/claim` until 404, then polls; each record is
 * acknowledged (`DELETE /{topic}/{id}` with its receipt) once its body was read, so a response
 * lost to a killed or frozen worker or a timed-out request comes back when its visibility
 * timeout lapses. Connection errors (a worker down) are waited out.
 */
export class EgressCollector {
  private readonly payloadRecords = new Map<string, Set<string>>();
  private readonly recordPayloads = new Map<string, Set<string>>();
  private deliveries = 0;
  private redeliveries = 0;
  private foreign = 0;
  private running = false;
  private loops: Promise<void>[] = [];

  /**
   * @param prefix only payload ids starting with it belong to this run
   * @param recordScope `global` when every worker serves one store (record ids are unique across
   *   them), `per-url` when each egress URL has its own store
   */
  constructor(
    private readonly urls: readonly string[],
    private readonly topic: string,
    private readonly prefix: string,
    private readonly recordScope: "global" | "per-url" = "global",
    private readonly consumersPerUrl = 2,
  ) {}

  start(): void {
    this.running = true;
    for (const url of this.urls) for (let i = 0; i < this.consumersPerUrl; i++) this.loops.push(this.consume(url));
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  has(id: string): boolean {
    return this.payloadRecords.has(id);
  }

  summary(): EgressSummary {
    const many = (m: Map<string, Set<string>>) => new Map([...m].filter(([, s]) => s.size > 1).map(([k, s]) => [k, [...s]]));
    return {
      ids: new Set(this.payloadRecords.keys()),
      deliveries: this.deliveries,
      redeliveries: this.redeliveries,
      producedTwice: many(this.payloadRecords),
      unstableRecordIds: many(this.recordPayloads),
      foreign: this.foreign,
    };
  }

  private async consume(url: string): Promise<void> {
    while (this.running) {
      let response: Response;
      try {
        response = await fetch(`${url}/${this.topic}/claim?visibility=${VISIBILITY}`, {
          method: "POST",
          signal: AbortSignal.timeout(5000),
        });
      } catch {
        await sleep(100); // the worker is down: wait it out
        continue;
      }
      const body = await response.text().catch(() => undefined);
      if (response.status === 200 && body !== undefined) {
        const recordId = response.headers.get("statefun-record-id");
        this.record(url, recordId, payloadId(response.headers.get("content-type"), body));
        await this.ack(url, recordId, response.headers.get("statefun-receipt"));
      } else {
        await sleep(response.status === 404 ? 50 : 200);
      }
    }
  }

  /** Acknowledges a record; one that cannot be (a worker down) comes back after its visibility timeout. */
  private async ack(url: string, recordId: string | null, receipt: string | null): Promise<void> {
    if (recordId === null || receipt === null) return;
    await fetch(`${url}/${this.topic}/${recordId}`, {
      method: "DELETE",
      headers: { "statefun-receipt": receipt },
      signal: AbortSignal.timeout(5000),
    }).catch(() => undefined);
  }

  private record(url: string, recordId: string | null, id: string): void {
    this.deliveries++;
    if (!id.startsWith(this.prefix)) {
      this.foreign++;
      return;
    }
    const records = this.payloadRecords.get(id) ?? new Set<string>();
    this.payloadRecords.set(id, records);
    if (recordId === null) return;
    const key = this.recordScope === "global" ? recordId : `${url}#${recordId}`;
    if (records.has(key)) this.redeliveries++;
    records.add(key);
    const payloads = this.recordPayloads.get(key) ?? new Set<string>();
    this.recordPayloads.set(key, payloads);
    payloads.add(id);
  }
}

/** The id a record carries: its text, or the `id` of a JSON body. */
function payloadId(contentType: string | null, body: string): string {
  if (contentType?.startsWith("text/plain")) return body;
  try {
    const json = JSON.parse(body) as unknown;
    if (typeof json === "string") return json;
    if (typeof json === "object" && json !== null && typeof (json as { id?: unknown }).id === "string") return (json as { id: string }).id;
  } catch {
    // not JSON: the text is the id
  }
  return body;
}

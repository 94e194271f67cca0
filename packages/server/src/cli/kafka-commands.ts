import { randomUUID } from "node:crypto";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { brokersOf, type KafkaAdmin, type KafkaClientFactory, kafkajsClient } from "@statefun-ts/kafka";
import { type Command, InvalidArgumentError, Option } from "commander";
import { parseMillis } from "./args.js";
import { CliError } from "./client.js";

/** The broker `statefun kafka` talks to when `--brokers` is not given (env `STATEFUN_KAFKA_BROKERS`). */
export const DEFAULT_KAFKA_BROKERS = "127.0.0.1:9092";

const utf8 = new TextEncoder();
const text = new TextDecoder();

function parseCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError("expected a whole number > 0.");
  return n;
}

/** How long `create-topic` waits for every partition of a new topic to have a leader. */
const TOPIC_READY_MS = 30_000;

/** Every partition of `topic` answers for its offsets: the broker hosts the topic (a new one takes a moment). */
async function waitForTopic(admin: KafkaAdmin, topic: string, partitions: number): Promise<void> {
  const deadline = Date.now() + TOPIC_READY_MS;
  for (;;) {
    try {
      if ((await admin.offsets(topic)).length >= partitions) return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    if (Date.now() > deadline) throw new Error(`topic ${topic}: its partitions have no leader after ${TOPIC_READY_MS / 1000} s`);
    await sleep(100);
  }
}

/** The error's message, and how to create the topic when the broker says it does not have it. */
function withTopicHint(error: unknown, topic: string, brokers: string): string {
  const message = (error as Error).message;
  return /does not host this topic-partition|unknown topic/i.test(message)
    ? `${message} (does the topic exist? create it with: statefun kafka create-topic ${topic} --brokers ${brokers})`
    : message;
}

/**
 * `statefun kafka create-topic TOPIC`, `produce TOPIC [KEY] [VALUE]` and `consume TOPIC`: try the
 * Kafka path without Java tools. `produce` with no VALUE sends each line of stdin as one record.
 */
export function kafkaCommands(program: Command, client: KafkaClientFactory = kafkajsClient): void {
  const kafka = program.command("kafka").description("produce records to and consume records from Kafka topics");
  const brokers = () =>
    new Option("--brokers <host:port,...>", "bootstrap servers").env("STATEFUN_KAFKA_BROKERS").default(DEFAULT_KAFKA_BROKERS);

  kafka
    .command("create-topic")
    .description("create a topic and wait until the broker hosts every partition (a topic that exists is left as it is)")
    .argument("<topic>", "topic")
    .option("--partitions <n>", "partitions of a new topic", parseCount, 1)
    .addOption(brokers())
    .action(async (topic: string, opts: { brokers: string; partitions: number }) => {
      let admin: KafkaAdmin | undefined;
      try {
        admin = await client({ brokers: brokersOf(opts.brokers), clientId: "statefun-cli" }).admin();
        const existing = (await admin.offsets(topic).catch(() => undefined))?.length;
        if (existing === undefined) {
          await admin.createTopics([{ topic, partitions: opts.partitions }]);
          await waitForTopic(admin, topic, opts.partitions);
        }
        process.stdout.write(
          existing === undefined
            ? `created topic ${topic} (${opts.partitions} partition${opts.partitions === 1 ? "" : "s"})\n`
            : `topic ${topic} exists (${existing} partition${existing === 1 ? "" : "s"}), left as it is\n`,
        );
      } catch (error) {
        throw new CliError(`kafka create-topic ${topic} at ${opts.brokers}: ${(error as Error).message}`);
      } finally {
        await admin?.close().catch(() => {});
      }
    });

  kafka
    .command("produce")
    .description("produce one record (or one per line of stdin when VALUE is left out); KEY '' or - for none")
    .argument("<topic>", "topic")
    .argument("[key]", "record key (UTF-8); the target id of a StateFun Kafka ingress")
    .argument("[value]", "record value (UTF-8; default: each line of stdin)")
    .addOption(brokers())
    .action(async (topic: string, key: string | undefined, value: string | undefined, opts: { brokers: string }) => {
      const producer = client({ brokers: brokersOf(opts.brokers), clientId: "statefun-cli" }).producer({ idempotent: true });
      const keyBytes = key === undefined || key === "" || key === "-" ? null : utf8.encode(key);
      try {
        await producer.connect();
        if (value !== undefined) {
          await producer.send([{ topic, key: keyBytes, value: utf8.encode(value) }], -1);
        } else {
          for await (const line of createInterface({ input: process.stdin })) {
            await producer.send([{ topic, key: keyBytes, value: utf8.encode(line) }], -1);
          }
        }
      } catch (error) {
        throw new CliError(`kafka produce to ${topic} at ${opts.brokers}: ${withTopicHint(error, topic, opts.brokers)}`);
      } finally {
        await producer.disconnect().catch(() => {});
      }
    });

  kafka
    .command("consume")
    .description("print the records of a topic, one line each (KEY<TAB>VALUE with --print-key)")
    .argument("<topic>", "topic")
    .option("--from-beginning", "start at the earliest record (default: only new records)")
    .option("--read-committed", "skip records of aborted and open transactions (what a transactional egress wrote and committed)")
    .option("--print-key", "print KEY<TAB>VALUE")
    .option("--max-messages <n>", "exit after this many records", parseCount)
    .option("--idle <duration>", "exit after no record for this long", parseMillis)
    .addOption(brokers())
    .action(
      async (
        topic: string,
        opts: { brokers: string; fromBeginning?: true; readCommitted?: true; printKey?: true; maxMessages?: number; idle?: number },
      ) => {
        const consumer = client({ brokers: brokersOf(opts.brokers), clientId: "statefun-cli" }).consumer({
          groupId: `statefun-cli-${randomUUID()}`,
          fromBeginning: opts.fromBeginning === true,
          readCommitted: opts.readCommitted === true,
        });
        let seen = 0;
        let finish!: () => void;
        const finished = new Promise<void>((resolve) => {
          finish = resolve;
        });
        let idle: NodeJS.Timeout | undefined;
        const arm = () => {
          if (opts.idle === undefined) return;
          clearTimeout(idle);
          idle = setTimeout(finish, opts.idle);
        };
        process.once("SIGINT", finish);
        try {
          await consumer.run([topic], {
            assigned: () => arm(),
            batch: async (batch) => {
              for (const r of batch.records) {
                if (opts.maxMessages !== undefined && seen >= opts.maxMessages) break;
                const value = r.value === null ? "" : text.decode(r.value);
                process.stdout.write(opts.printKey ? `${r.key === null ? "" : text.decode(r.key)}\t${value}\n` : `${value}\n`);
                seen++;
              }
              const last = batch.records.at(-1);
              if (last !== undefined) batch.resolve(last.offset);
              arm();
              if (opts.maxMessages !== undefined && seen >= opts.maxMessages) finish();
            },
          });
          arm();
          await finished;
        } catch (error) {
          throw new CliError(`kafka consume from ${topic} at ${opts.brokers}: ${withTopicHint(error, topic, opts.brokers)}`);
        } finally {
          clearTimeout(idle);
          process.off("SIGINT", finish);
          await consumer.stop().catch(() => {});
        }
      },
    );
}

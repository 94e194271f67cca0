import { randomUUID } from "node:crypto";
import { createInterface } from "node:readline";
import { brokersOf, type KafkaClientFactory, kafkajsClient } from "@statefun-ts/kafka";
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

/**
 * `statefun kafka produce TOPIC [KEY] [VALUE]` and `statefun kafka consume TOPIC`: try the Kafka
 * path without Java tools. `produce` with no VALUE sends each line of stdin as one record.
 */
export function kafkaCommands(program: Command, client: KafkaClientFactory = kafkajsClient): void {
  const kafka = program.command("kafka").description("produce records to and consume records from Kafka topics");
  const brokers = () =>
    new Option("--brokers <host:port,...>", "bootstrap servers").env("STATEFUN_KAFKA_BROKERS").default(DEFAULT_KAFKA_BROKERS);

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
        throw new CliError(`kafka produce to ${topic} at ${opts.brokers}: ${(error as Error).message}`);
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
          throw new CliError(`kafka consume from ${topic} at ${opts.brokers}: ${(error as Error).message}`);
        } finally {
          clearTimeout(idle);
          process.off("SIGINT", finish);
          await consumer.stop().catch(() => {});
        }
      },
    );
}

import { SingleBar } from "cli-progress";

/** Records moved so far, shown on stderr as a bar with the rate and the time left (a terminal only). */
export interface Progress {
  tick(): void;
  stop(): void;
}

export function progressBar(total: number, label: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return { tick() {}, stop() {} };
  const bar = new SingleBar({
    stream,
    format: `${label} [{bar}] {percentage}% | {value}/{total} records | {rate} records/s | ETA {eta_formatted}`,
    barCompleteChar: "#",
    barIncompleteChar: "-",
    etaBuffer: 1000,
    fps: 5,
  });
  const started = Date.now();
  let value = 0;
  bar.start(total, 0, { rate: 0 });
  return {
    tick() {
      value++;
      if (value % 256 === 0 || value === total) {
        const seconds = (Date.now() - started) / 1000;
        bar.update(value, { rate: seconds > 0 ? Math.round(value / seconds) : 0 });
      }
    },
    stop() {
      bar.update(value);
      bar.stop();
    },
  };
}

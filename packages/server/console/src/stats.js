import { useEffect, useState } from "preact/hooks";
import { get } from "./api.js";

/** Polls a GET endpoint every `everyMs`; returns [data, error, reload]. */
export function usePoll(path, everyMs = 2000) {
  const [state, setState] = useState({ data: undefined, error: undefined });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let alive = true;
    const load = () =>
      get(path).then(
        (data) => alive && setState({ data, error: undefined }),
        (error) => alive && setState((s) => ({ data: s.data, error })),
      );
    load();
    const timer = everyMs > 0 ? setInterval(load, everyMs) : undefined;
    return () => {
      alive = false;
      clearInterval(timer);
    };
  }, [path, everyMs, tick]);
  return [state.data, state.error, () => setTick((t) => t + 1)];
}

/** The metrics history of the last `seconds`, refreshed every second. */
export function useStats(seconds = 300) {
  const [data, error] = usePoll(`/v1/stats?window=${seconds}`, 1000);
  return [data?.samples ?? [], error];
}

/** Per-second rate of a per-interval count. */
export const perSecond = (samples, pick) => samples.map((s, i) => pick(s) / ((i === 0 ? 1000 : s.t - samples[i - 1].t) / 1000 || 1));

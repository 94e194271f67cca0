import type { Runtime } from "@statefun-ts/runtime";
import { HttpError } from "./errors.js";
import type { FreeSpaceWatch } from "./free-space.js";
import { covers } from "./parked.js";

/** Bounds of messages parked for function types with no binding. */
export interface ParkLimits {
  /** Most parked messages of one function type (default 10,000). */
  readonly perType: number;
  /** Most parked messages of all types (default 100,000). */
  readonly total: number;
}

export const DEFAULT_PARK_LIMITS: ParkLimits = { perType: 10_000, total: 100_000 };

/** Decides whether the ingress takes a message for a function type; throws the answer when it does not. */
export type Admit = (functionType: string) => void;

/**
 * The ingress's admission: `507` while free disk space is under the watermark, `429` when a
 * message would park (no binding covers its type) past the bound of its type or of all types.
 */
export function ingressAdmission(
  runtime: Pick<Runtime, "functionTypes" | "parkedByType">,
  options: { readonly parkLimits: ParkLimits; readonly freeSpace?: FreeSpaceWatch | undefined },
): Admit {
  const { parkLimits, freeSpace } = options;
  return (functionType) => {
    if (freeSpace?.low) {
      throw new HttpError(
        507,
        "STATEFUN_DISK_FULL",
        `the data directory's disk has ${freeSpace.free} bytes free, under the watermark: new messages are refused until space returns`,
        { "retry-after": "10" },
      );
    }
    const bound = runtime.functionTypes();
    for (let i = 0; i < bound.length; i++) if (covers(bound[i]!, functionType)) return;
    const parked = runtime.parkedByType();
    const ofType = parked.get(functionType) ?? 0;
    if (ofType >= parkLimits.perType) {
      throw new HttpError(
        429,
        "STATEFUN_PARK_LIMIT",
        `${functionType} is not loaded and has ${ofType} parked messages, the most one type may have: load it, or wait`,
        { "retry-after": "60" },
      );
    }
    let total = 0;
    for (const count of parked.values()) total += count;
    if (total >= parkLimits.total) {
      throw new HttpError(
        429,
        "STATEFUN_PARK_LIMIT",
        `${functionType} is not loaded, and there are ${total} parked messages in all, the most the worker keeps: load their types, or wait`,
        { "retry-after": "60" },
      );
    }
  };
}

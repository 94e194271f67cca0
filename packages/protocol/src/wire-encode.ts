import type { Address } from "./address.js";
import type { TypedValue } from "./typed-value.js";
import { delimitedSize, utf8Size, varintSize, WireWriter } from "./wire-writer.js";

// Hand-written encoders of the two hot messages of StateFun's request-reply protocol: the
// `ToFunction` batch the runtime sends and the `InvocationResponse` a function answers. They
// write the same bytes as protobuf-es's `toBinary` of the same message (fields by number,
// proto3 defaults omitted), sizing each nested message once instead of building message objects.

/** A message of a batch: its sender (none for ingress messages) and its value. */
export interface WireInvocation {
  readonly caller?: Address | undefined;
  readonly argument: TypedValue;
}

/** A state of a batch: its name and its value (`undefined` for none). */
export interface WireState {
  readonly name: string;
  readonly value: TypedValue | undefined;
}

/** A state written by a batch: its new value, or `undefined` for a DELETE. */
export type WireMutation = WireState;

/** A delayed message (`delayMs`, `target`, `argument`, optional `token`) or the cancellation of one. */
export type WireDelayed =
  | { readonly cancel: true; readonly token: string }
  | { readonly cancel: false; readonly delayMs: number; readonly target: Address; readonly argument: TypedValue; readonly token: string };

/** An egress record: its egress's namespace and name, and its value. */
export interface WireEgress {
  readonly namespace: string;
  readonly type: string;
  readonly argument: TypedValue;
}

export interface WireInvocationResponse {
  readonly mutations: readonly WireMutation[];
  readonly messages: readonly { readonly target: Address; readonly argument: TypedValue }[];
  readonly delayed: readonly WireDelayed[];
  readonly egress: readonly WireEgress[];
}

/**
 * `ToFunction { invocation: InvocationBatchRequest }` of one batch, as bytes.
 *
 * @example
 * encodeInvocationBatch(address("ns", "f", "a"), [{ name: "count", value: undefined }], [{ argument: { typename: "t/x", value: bytes } }]);
 */
export function encodeInvocationBatch(target: Address, state: readonly WireState[], invocations: readonly WireInvocation[]): Uint8Array {
  const s = new Sizes();
  const batch = s.batch(target, state, invocations);
  const w = new WireWriter(delimitedSize(2, batch));
  const e = new Encoder(w, s.sizes);
  w.tag(100, 2);
  w.varint(batch);
  e.address(1, target);
  for (const v of state) {
    e.open(2);
    e.string(1, v.name);
    if (v.value !== undefined) e.typedValue(2, v.value);
  }
  for (const i of invocations) {
    e.open(3);
    if (i.caller !== undefined) e.address(1, i.caller);
    e.typedValue(2, i.argument);
  }
  return w.finish();
}

/**
 * `FromFunction { invocation_result: InvocationResponse }` of a batch's effects, as bytes: a
 * mutation is a MODIFY with its value or a DELETE without one.
 *
 * @example
 * encodeInvocationResponse({ mutations: [{ name: "count", value: one }], messages: [], delayed: [], egress: [] });
 */
export function encodeInvocationResponse(r: WireInvocationResponse): Uint8Array {
  const s = new Sizes();
  const response = s.response(r);
  const w = new WireWriter(delimitedSize(2, response));
  const e = new Encoder(w, s.sizes);
  w.tag(100, 2);
  w.varint(response);
  for (const m of r.mutations) {
    e.open(1);
    if (m.value !== undefined) e.varintField(1, 1);
    e.string(2, m.name);
    if (m.value !== undefined) e.typedValue(3, m.value);
  }
  for (const m of r.messages) {
    e.open(2);
    e.address(1, m.target);
    e.typedValue(2, m.argument);
  }
  for (const d of r.delayed) {
    e.open(3);
    if (!d.cancel) {
      if (d.delayMs !== 0) e.int64Field(1, d.delayMs);
      e.address(2, d.target);
      e.typedValue(3, d.argument);
    } else e.varintField(10, 1);
    e.string(11, d.token);
  }
  for (const g of r.egress) {
    e.open(4);
    e.string(1, g.namespace);
    e.string(2, g.type);
    e.typedValue(3, g.argument);
  }
  return w.finish();
}

const int64Size = (n: number): number => (n < 0 ? 10 : varintSize(n));

/**
 * First pass: the size of every nested message, in the order the second pass opens them
 * (each `open` or `address`/`typedValue` call of `Encoder` takes the next one).
 */
class Sizes {
  readonly sizes: number[] = [];

  private push(size: number): number {
    this.sizes.push(size);
    return size;
  }

  /** A placeholder for a message whose size is known only after its fields. */
  private reserve(): number {
    this.sizes.push(0);
    return this.sizes.length - 1;
  }

  private close(at: number, size: number): number {
    this.sizes[at] = size;
    return delimitedSize(1, size);
  }

  string(s: string, tagSize = 1): number {
    if (s.length === 0) return 0;
    return delimitedSize(tagSize, utf8Size(s));
  }

  address(a: Address): number {
    return delimitedSize(1, this.push(this.string(a.namespace) + this.string(a.type) + this.string(a.id)));
  }

  typedValue(v: TypedValue): number {
    const size = this.string(v.typename) + 2 + (v.value.length === 0 ? 0 : delimitedSize(1, v.value.length));
    return delimitedSize(1, this.push(size));
  }

  batch(target: Address, state: readonly WireState[], invocations: readonly WireInvocation[]): number {
    const at = this.reserve();
    let size = this.address(target);
    for (const v of state) {
      const open = this.reserve();
      size += this.close(open, this.string(v.name) + (v.value === undefined ? 0 : this.typedValue(v.value)));
    }
    for (const i of invocations) {
      const open = this.reserve();
      size += this.close(open, (i.caller === undefined ? 0 : this.address(i.caller)) + this.typedValue(i.argument));
    }
    this.sizes[at] = size;
    return size;
  }

  response(r: WireInvocationResponse): number {
    const at = this.reserve();
    let size = 0;
    for (const m of r.mutations) {
      const open = this.reserve();
      size += this.close(
        open,
        (m.value === undefined ? 0 : 2) + this.string(m.name) + (m.value === undefined ? 0 : this.typedValue(m.value)),
      );
    }
    for (const m of r.messages) {
      const open = this.reserve();
      size += this.close(open, this.address(m.target) + this.typedValue(m.argument));
    }
    for (const d of r.delayed) {
      const open = this.reserve();
      const fields = d.cancel ? 2 : (d.delayMs === 0 ? 0 : 1 + int64Size(d.delayMs)) + this.address(d.target) + this.typedValue(d.argument);
      size += this.close(open, fields + this.string(d.token, 1));
    }
    for (const g of r.egress) {
      const open = this.reserve();
      size += this.close(open, this.string(g.namespace) + this.string(g.type) + this.typedValue(g.argument));
    }
    this.sizes[at] = size;
    return size;
  }
}

/** Second pass: writes the fields, taking each nested message's size from the first pass in order. */
class Encoder {
  private next = 1; // sizes[0] is the outer message's, written by the caller

  constructor(
    private readonly w: WireWriter,
    private readonly sizes: readonly number[],
  ) {}

  /** Starts a nested message in `field`. */
  open(field: number): void {
    this.w.tag(field, 2);
    this.w.varint(this.sizes[this.next++]!);
  }

  string(field: number, s: string): void {
    if (s.length === 0) return;
    this.w.tag(field, 2);
    this.w.string(s, utf8Size(s));
  }

  varintField(field: number, n: number): void {
    this.w.tag(field, 0);
    this.w.varint(n);
  }

  int64Field(field: number, n: number): void {
    if (!Number.isSafeInteger(n)) throw new RangeError(`an int64 field takes a safe integer, not ${n}`);
    this.w.tag(field, 0);
    if (n < 0) this.w.negativeVarint(n);
    else this.w.varint(n);
  }

  address(field: number, a: Address): void {
    this.open(field);
    this.string(1, a.namespace);
    this.string(2, a.type);
    this.string(3, a.id);
  }

  typedValue(field: number, v: TypedValue): void {
    this.open(field);
    this.string(1, v.typename);
    this.varintField(2, 1);
    if (v.value.length > 0) {
      this.w.tag(3, 2);
      this.w.raw(v.value);
    }
  }
}

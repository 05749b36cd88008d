/**
 * The protocol's binary Micheline encoding (used by PACK/UNPACK and script size): tagged nodes,
 * zarith integers, 4-byte big-endian length prefixes, one-byte primitive codes.
 */
import { MichelsonTypeError } from "./errors.js";
import { isBytes, isInt, isPrim, isSeq, isString } from "./micheline.js";
import type { Micheline, MichelinePrim } from "./micheline.js";
import { fromHex, toHex } from "./encoding.js";

// Primitive codes, in the protocol's Michelson_v1_primitives order (the index is the byte).
const PRIMITIVES = (
  "parameter storage code False Elt Left None Pair Right Some True Unit PACK UNPACK BLAKE2B SHA256 SHA512 ABS ADD " +
  "AMOUNT AND BALANCE CAR CDR CHECK_SIGNATURE COMPARE CONCAT CONS CREATE_ACCOUNT CREATE_CONTRACT IMPLICIT_ACCOUNT " +
  "DIP DROP DUP EDIV EMPTY_MAP EMPTY_SET EQ EXEC FAILWITH GE GET GT HASH_KEY IF IF_CONS IF_LEFT IF_NONE INT LAMBDA " +
  "LE LEFT LOOP LSL LSR LT MAP MEM MUL NEG NEQ NIL NONE NOT NOW OR PAIR PUSH RIGHT SIZE SOME SOURCE SENDER SELF " +
  "STEPS_TO_QUOTA SUB SWAP TRANSFER_TOKENS SET_DELEGATE UNIT UPDATE XOR ITER LOOP_LEFT ADDRESS CONTRACT ISNAT CAST " +
  "RENAME bool contract int key key_hash lambda list map big_map nat option or pair set signature string bytes " +
  "mutez timestamp unit operation address SLICE DIG DUG EMPTY_BIG_MAP APPLY chain_id CHAIN_ID LEVEL SELF_ADDRESS " +
  "never NEVER UNPAIR VOTING_POWER TOTAL_VOTING_POWER KECCAK SHA3 PAIRING_CHECK bls12_381_g1 bls12_381_g2 " +
  "bls12_381_fr sapling_state sapling_transaction_deprecated SAPLING_EMPTY_STATE SAPLING_VERIFY_UPDATE ticket " +
  "TICKET_DEPRECATED READ_TICKET SPLIT_TICKET JOIN_TICKETS GET_AND_UPDATE chest chest_key OPEN_CHEST VIEW view " +
  "constant SUB_MUTEZ tx_rollup_l2_address MIN_BLOCK_TIME sapling_transaction EMIT Lambda_rec LAMBDA_REC TICKET " +
  "BYTES NAT Ticket IS_IMPLICIT_ACCOUNT INDEX_ADDRESS GET_ADDRESS_INDEX"
).split(" ");
const PRIM_CODES = new Map(PRIMITIVES.map((p, i) => [p, i]));

class Writer {
  private buf = new Uint8Array(256);
  len = 0;
  private grow(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const b = new Uint8Array(size);
    b.set(this.buf.subarray(0, this.len));
    this.buf = b;
  }
  byte(b: number): void {
    this.grow(1);
    this.buf[this.len++] = b;
  }
  bytes(b: Uint8Array): void {
    this.grow(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  u32At(pos: number, v: number): void {
    this.buf[pos] = (v >>> 24) & 0xff;
    this.buf[pos + 1] = (v >>> 16) & 0xff;
    this.buf[pos + 2] = (v >>> 8) & 0xff;
    this.buf[pos + 3] = v & 0xff;
  }
  /** Reserves a 4-byte length, runs `body`, then fills the length in. */
  sized(body: () => void): void {
    this.grow(4);
    const at = this.len;
    this.len += 4;
    body();
    this.u32At(at, this.len - at - 4);
  }
  result(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

/** Zarith signed integer: 6 value bits + sign in the first byte, then 7 bits per byte. */
function writeZ(w: Writer, v: bigint): void {
  const neg = v < 0n;
  let a = neg ? -v : v;
  let first = Number(a & 0x3fn) | (neg ? 0x40 : 0);
  a >>= 6n;
  if (a > 0n) first |= 0x80;
  w.byte(first);
  while (a > 0n) {
    let b = Number(a & 0x7fn);
    a >>= 7n;
    if (a > 0n) b |= 0x80;
    w.byte(b);
  }
}

const utf8 = new TextEncoder();

function writeNode(w: Writer, m: Micheline): void {
  if (isInt(m)) {
    w.byte(0);
    writeZ(w, BigInt(m.int));
  } else if (isString(m)) {
    w.byte(1);
    w.sized(() => w.bytes(utf8.encode(m.string)));
  } else if (isBytes(m)) {
    w.byte(10);
    w.sized(() => w.bytes(fromHex(m.bytes)));
  } else if (isSeq(m)) {
    w.byte(2);
    w.sized(() => {
      for (const x of m) writeNode(w, x);
    });
  } else if (isPrim(m)) {
    const code = PRIM_CODES.get(m.prim);
    if (code === undefined) throw new MichelsonTypeError("unsupported", `cannot encode primitive ${m.prim}`);
    const args = m.args ?? [];
    const annots = m.annots ?? [];
    const hasAnnots = annots.length > 0;
    const writeAnnots = (): void => w.sized(() => w.bytes(utf8.encode(annots.join(" "))));
    if (args.length <= 2) {
      w.byte(3 + args.length * 2 + (hasAnnots ? 1 : 0));
      w.byte(code);
      for (const a of args) writeNode(w, a);
      if (hasAnnots) writeAnnots();
    } else {
      w.byte(9);
      w.byte(code);
      w.sized(() => {
        for (const a of args) writeNode(w, a);
      });
      writeAnnots();
    }
  } else {
    throw new MichelsonTypeError("ill_typed_data", "not a Micheline node");
  }
}

/**
 * Binary encoding of a Micheline expression (without the PACK `0x05` prefix); its length is what
 * the protocol counts as script or storage size.
 *
 * @throws {MichelsonTypeError} code `MICHELSON_UNSUPPORTED` for an unknown primitive.
 * @example encodeMicheline({ int: "1" }) // Uint8Array [0x00, 0x01]
 */
export function encodeMicheline(m: Micheline): Uint8Array {
  const w = new Writer();
  writeNode(w, m);
  return w.result();
}

class DecodeError extends Error {}

class Reader {
  pos = 0;
  constructor(
    readonly b: Uint8Array,
    readonly end: number,
  ) {}
  byte(): number {
    if (this.pos >= this.end) throw new DecodeError("truncated");
    return this.b[this.pos++]!;
  }
  take(n: number): Uint8Array {
    if (this.pos + n > this.end) throw new DecodeError("truncated");
    const out = this.b.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  u32(): number {
    const x = this.take(4);
    return ((x[0]! << 24) | (x[1]! << 16) | (x[2]! << 8) | x[3]!) >>> 0;
  }
}

function readZ(r: Reader): bigint {
  let b = r.byte();
  const neg = (b & 0x40) !== 0;
  let v = BigInt(b & 0x3f);
  let shift = 6n;
  while ((b & 0x80) !== 0) {
    b = r.byte();
    // A trailing zero byte is a non-canonical encoding, which the protocol rejects.
    if ((b & 0x80) === 0 && b === 0) throw new DecodeError("non-canonical zarith");
    v |= BigInt(b & 0x7f) << shift;
    shift += 7n;
  }
  if (neg && v === 0n) throw new DecodeError("negative zero");
  return neg ? -v : v;
}

const utf8d = new TextDecoder("utf-8", { fatal: true });

function readSized<T>(r: Reader, body: (sub: Reader) => T): T {
  const n = r.u32();
  if (r.pos + n > r.end) throw new DecodeError("truncated");
  const sub = new Reader(r.b, r.pos + n);
  sub.pos = r.pos;
  const out = body(sub);
  if (sub.pos !== sub.end) throw new DecodeError("trailing bytes in sized field");
  r.pos = sub.end;
  return out;
}

function readAnnots(r: Reader): string[] {
  return readSized(r, (s) => {
    const txt = utf8d.decode(s.take(s.end - s.pos));
    return txt === "" ? [] : txt.split(" ");
  });
}

function readNode(r: Reader, depth: number): Micheline {
  if (depth > 10000) throw new DecodeError("too deep");
  const tag = r.byte();
  switch (tag) {
    case 0:
      return { int: readZ(r).toString() };
    case 1:
      return { string: readSized(r, (s) => utf8d.decode(s.take(s.end - s.pos))) };
    case 2:
      return readSized(r, (s) => {
        const items: Micheline[] = [];
        while (s.pos < s.end) items.push(readNode(s, depth + 1));
        return items;
      });
    case 10:
      return { bytes: readSized(r, (s) => toHex(s.take(s.end - s.pos))) };
    case 3:
    case 4:
    case 5:
    case 6:
    case 7:
    case 8:
    case 9: {
      const name = PRIMITIVES[r.byte()];
      if (name === undefined) throw new DecodeError("unknown primitive");
      let args: Micheline[] = [];
      let annots: string[] = [];
      if (tag === 9) {
        args = readSized(r, (s) => {
          const items: Micheline[] = [];
          while (s.pos < s.end) items.push(readNode(s, depth + 1));
          return items;
        });
        annots = readAnnots(r);
      } else {
        const n = (tag - 3) >> 1;
        for (let i = 0; i < n; i++) args.push(readNode(r, depth + 1));
        if ((tag & 1) === 0) annots = readAnnots(r);
      }
      const node: { prim: string; args?: Micheline[]; annots?: string[] } = { prim: name };
      if (args.length > 0) node.args = args;
      if (annots.length > 0) node.annots = annots;
      return node as MichelinePrim;
    }
    default:
      throw new DecodeError(`unknown tag ${tag}`);
  }
}

/**
 * Decodes a binary Micheline expression that must span all of `b`.
 *
 * @returns null when the bytes are not a well-formed encoding.
 */
export function decodeMicheline(b: Uint8Array): Micheline | null {
  try {
    const r = new Reader(b, b.length);
    const m = readNode(r, 0);
    return r.pos === b.length ? m : null;
  } catch (e) {
    if (e instanceof DecodeError || e instanceof TypeError || e instanceof RangeError) return null;
    throw e;
  }
}

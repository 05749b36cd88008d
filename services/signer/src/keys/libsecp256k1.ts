/**
 * secp256k1 signing and recovery through libsecp256k1 (Bitcoin Core's library). Two builds of it
 * can serve (decisions 1040, 1045):
 *
 * - `native`: the N-API addon of the `secp256k1` package, loaded from the prebuilt binary its npm
 *   tarball ships (linux-x64 glibc and musl, darwin-arm64, win32-x64). On these machines a
 *   signature costs about 0.07 ms and a recovery 0.09 ms.
 * - `wasm`: the WebAssembly build in `tiny-secp256k1`, portable everywhere Node runs: 0.2 ms a
 *   signature, 0.45 ms a recovery.
 *
 * The native build is used when its prebuilt binary loads; otherwise the WebAssembly one, never
 * the package's pure-JavaScript fallback (elliptic), which is neither libsecp256k1 nor constant
 * time. Nothing is ever compiled at install time (package.json's allowScripts). noble stays the
 * reference the tests compare both builds with: RFC 6979 makes every library produce the same
 * signature bytes for the same key and digest.
 */
import { createRequire } from "node:module";
import * as tinySecp256k1 from "tiny-secp256k1";

/** A low-s `r || s` and the parity of R's y: what an Ethereum transaction carries. */
export interface RecoverableRs {
  readonly rs: Uint8Array;
  readonly recovery: 0 | 1;
}

/** One build of libsecp256k1, reduced to the three calls the signer and the worker make. */
export interface Secp256k1Engine {
  readonly name: "native" | "wasm";
  /** RFC 6979 signature, low-s, with the recovery id; throws on a malformed secret or digest. */
  sign(digest: Uint8Array, secret: Uint8Array): { signature: Uint8Array; recoveryId: number };
  /** The recovered key; null (wasm) or a throw (native) when nothing recovers. */
  recover(digest: Uint8Array, rs: Uint8Array, recovery: 0 | 1, compressed: boolean): Uint8Array | null;
}

/** The calls of the `secp256k1` package's native binding this module uses (it ships no types). */
interface NativeBinding {
  ecdsaSign(msg32: Uint8Array, seckey: Uint8Array): { signature: Uint8Array; recid: number };
  ecdsaRecover(sig: Uint8Array, recid: number, msg32: Uint8Array, compressed: boolean): Uint8Array;
}

const wasmEngine: Secp256k1Engine = {
  name: "wasm",
  sign: (digest, secret) => tinySecp256k1.signRecoverable(digest, secret),
  recover: (digest, rs, recovery, compressed) => tinySecp256k1.recover(digest, rs, recovery, compressed),
};

/** The native engine, or why it could not load (no prebuilt binary for this platform, say). */
function loadNative(): Secp256k1Engine | Error {
  try {
    // `bindings.js` is the addon alone: it throws where index.js would fall back to elliptic.
    const binding = createRequire(import.meta.url)("secp256k1/bindings.js") as NativeBinding;
    return {
      name: "native",
      sign: (digest, secret) => {
        const { signature, recid } = binding.ecdsaSign(digest, secret);
        return { signature, recoveryId: recid };
      },
      recover: (digest, rs, recovery, compressed) => binding.ecdsaRecover(rs, recovery, digest, compressed),
    };
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

const native = loadNative();

/** Every build that loads here, native first: the tests hold each one to the same rules. */
export const secp256k1Engines: readonly Secp256k1Engine[] =
  native instanceof Error ? [wasmEngine] : [native, wasmEngine];

/** The build this process signs and recovers with, and why native is not it (for the logs). */
export const secp256k1Engine: { readonly name: Secp256k1Engine["name"]; readonly nativeError?: string } =
  native instanceof Error ? { name: "wasm", nativeError: native.message.split("\n")[0] } : { name: "native" };

const active: Secp256k1Engine = secp256k1Engines[0]!;

/**
 * Signs a 32-byte digest with RFC 6979 nonces; libsecp256k1 always answers low-s.
 *
 * @throws {Error} when the secret or digest is malformed, or in the 2^-127 case of an R whose x
 * is at least n (recovery id 2 or 3), which an Ethereum transaction cannot carry.
 */
export function signRecoverable(
  digest: Uint8Array,
  secret: Uint8Array,
  engine: Secp256k1Engine = active,
): RecoverableRs {
  const { signature, recoveryId } = engine.sign(digest, secret);
  if (recoveryId !== 0 && recoveryId !== 1)
    throw new Error(`libsecp256k1 answered recovery id ${recoveryId}, which Ethereum cannot carry`);
  return { rs: signature, recovery: recoveryId };
}

/** Signs a 32-byte digest: the 64-byte low-s `r || s`. */
export function signCompact(
  digest: Uint8Array,
  secret: Uint8Array,
  engine: Secp256k1Engine = active,
): Uint8Array {
  return engine.sign(digest, secret).signature;
}

/**
 * The public key recovered from a 64-byte `r || s` with recovery bit 0 or 1, in the encoding asked
 * for (33 bytes compressed, 65 uncompressed); null when nothing recovers (r or s out of range, r
 * not the x of a curve point, the point at infinity). Never throws.
 */
export function recoverPublicKey(
  digest: Uint8Array,
  rs: Uint8Array,
  recovery: 0 | 1,
  compressed: boolean,
  engine: Secp256k1Engine = active,
): Uint8Array | null {
  try {
    return engine.recover(digest, rs, recovery, compressed);
  } catch {
    return null;
  }
}

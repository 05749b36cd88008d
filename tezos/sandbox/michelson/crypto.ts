/**
 * Hashes and signature checks of the crypto instructions. Tezos signs the blake2b-256 digest of
 * the message, for all three curves.
 */
import { blake2b } from "@noble/hashes/blake2.js";
import { sha256, sha512 } from "@noble/hashes/sha2.js";
import { keccak_256, sha3_256 } from "@noble/hashes/sha3.js";
import { ed25519 } from "@noble/curves/ed25519.js";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { p256 } from "@noble/curves/nist.js";

export const hashBlake2b = (b: Uint8Array): Uint8Array => blake2b(b, { dkLen: 32 });
export const hashSha256 = (b: Uint8Array): Uint8Array => sha256(b);
export const hashSha512 = (b: Uint8Array): Uint8Array => sha512(b);
export const hashKeccak = (b: Uint8Array): Uint8Array => keccak_256(b);
export const hashSha3 = (b: Uint8Array): Uint8Array => sha3_256(b);

/**
 * CHECK_SIGNATURE: `key` is the binary public key (tag + bytes), `sig` the 64 raw signature bytes.
 * Malformed keys or signatures make the check return false, never throw.
 */
export function checkSignature(key: Uint8Array, sig: Uint8Array, msg: Uint8Array): boolean {
  const digest = blake2b(msg, { dkLen: 32 });
  const pk = key.subarray(1);
  try {
    switch (key[0]) {
      case 0:
        return ed25519.verify(sig, digest, pk);
      case 1:
        return secp256k1.verify(sig, digest, pk, { prehash: false, lowS: false });
      case 2:
        return p256.verify(sig, digest, pk, { prehash: false, lowS: false });
      default:
        return false;
    }
  } catch {
    return false;
  }
}

import { cose, decodeCredentialPublicKey } from "@simplewebauthn/server/helpers";
import { ValidationError } from "../../../shared/src/errors.js";

/**
 * Converts a credential's COSE public key (as WebAuthn registration returns it) to the form
 * policies list: an uncompressed P-256 point `04 || x || y` in lowercase hex. Only ES256 keys on
 * P-256 are accepted, because that is what every verifier of approvals implements.
 *
 * @throws {ValidationError} `unsupported_passkey` naming `response` when the key is not ES256/P-256.
 * @example const hex = coseToUncompressedP256(registrationInfo.credential.publicKey);
 */
export function coseToUncompressedP256(coseKey: Uint8Array<ArrayBuffer>): string {
  let key: ReturnType<typeof decodeCredentialPublicKey>;
  try {
    key = decodeCredentialPublicKey(coseKey);
  } catch {
    throw new ValidationError(
      "unsupported_passkey",
      "response",
      "the credential public key is not valid COSE",
    );
  }
  if (!cose.isCOSEPublicKeyEC2(key)) {
    throw new ValidationError("unsupported_passkey", "response", "the passkey must be an EC2 (ES256) key");
  }
  const alg = key.get(cose.COSEKEYS.alg);
  const crv = key.get(cose.COSEKEYS.crv);
  const x = key.get(cose.COSEKEYS.x);
  const y = key.get(cose.COSEKEYS.y);
  if (alg !== cose.COSEALG.ES256 || crv !== cose.COSECRV.P256 || x?.length !== 32 || y?.length !== 32) {
    throw new ValidationError(
      "unsupported_passkey",
      "response",
      `the passkey must be ES256 on P-256 (got alg ${String(alg)}, crv ${String(crv)})`,
    );
  }
  return `04${Buffer.from(x).toString("hex")}${Buffer.from(y).toString("hex")}`;
}

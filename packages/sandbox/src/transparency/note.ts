/**
 * C2SP tlog-checkpoint bodies signed as C2SP signed notes with the sandbox's own Ed25519 key.
 *
 * - Body: origin line, decimal tree size, base64 root hash, each ending in a newline.
 * - Signed note: the body, a blank line, then `— <key name> <base64(key ID || signature)>` with
 *   the signature over the body's bytes. Key ID = SHA-256(key name || 0x0A || 0x01 || public key)[:4]
 *   (0x01 is the signed-note Ed25519 algorithm byte).
 * - As in production (compliance-api.md §7.3), one key signs every organization's log and the key
 *   is named for each log's origin `axt.anthropic.com/<org uuid>`, so each origin has its own
 *   verifier key `<origin>+<8 hex key ID>+<base64(0x01 || public key)>`.
 *
 * The private key is derived from the world seed, so a seed always yields the same key and notes.
 * It signs only sandbox checkpoints; production signs with an ECDSA P-256 key of its own.
 */
import { createHash, createPrivateKey, createPublicKey, sign, type KeyObject } from 'node:crypto';

export const ORIGIN_PREFIX = 'axt.anthropic.com';
const ED25519_ALG = 0x01;
/** PKCS#8 DER of an Ed25519 private key, up to its 32-byte seed (RFC 8410 §7). */
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
/** SubjectPublicKeyInfo DER of an Ed25519 public key, up to its 32 raw bytes (RFC 8410 §4). */
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export function originFor(orgUuid: string): string {
  return `${ORIGIN_PREFIX}/${orgUuid}`;
}

export interface LogSigner {
  /** Raw 32-byte Ed25519 public key. */
  publicKey: Buffer;
  /** DER SubjectPublicKeyInfo of the same key. */
  publicKeySpki: Buffer;
  sign(body: string, keyName: string): string;
  /** 4-byte key ID of the key under `keyName`. */
  keyId(keyName: string): Buffer;
  /** Note verifier key string for `keyName`. */
  verifierKey(keyName: string): string;
}

export function createLogSigner(seed: number): LogSigner {
  const secret = createHash('sha256')
    .update('compliance-export sandbox: Access Transparency log key\u0000')
    .update(String(seed))
    .digest();
  const privateKey: KeyObject = createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_PREFIX, secret]),
    format: 'der',
    type: 'pkcs8',
  });
  const publicKeySpki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  if (!publicKeySpki.subarray(0, SPKI_ED25519_PREFIX.length).equals(SPKI_ED25519_PREFIX)) {
    throw new Error('unexpected Ed25519 SubjectPublicKeyInfo encoding');
  }
  const publicKey = publicKeySpki.subarray(SPKI_ED25519_PREFIX.length);
  const keyId = (keyName: string): Buffer =>
    createHash('sha256')
      .update(keyName, 'utf8')
      .update(Buffer.from([0x0a, ED25519_ALG]))
      .update(publicKey)
      .digest()
      .subarray(0, 4);
  return {
    publicKey,
    publicKeySpki,
    keyId,
    verifierKey: (keyName) =>
      `${keyName}+${keyId(keyName).toString('hex')}+${Buffer.concat([Buffer.from([ED25519_ALG]), publicKey]).toString('base64')}`,
    sign(body, keyName) {
      const signature = sign(null, Buffer.from(body, 'utf8'), privateKey);
      const blob = Buffer.concat([keyId(keyName), signature]).toString('base64');
      return `${body}\n\u2014 ${keyName} ${blob}\n`;
    },
  };
}

/** The tlog-checkpoint body: origin, size and root hash lines, no extension lines. */
export function checkpointBody(origin: string, size: number, root: Uint8Array): string {
  return `${origin}\n${size}\n${Buffer.from(root).toString('base64')}\n`;
}

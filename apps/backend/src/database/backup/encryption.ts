// Backups encrypted at rest: authenticated, streaming encryption (docs/runbooks/backup-and-restore.md). pg_dump's
// output is encrypted as it is written and decrypted as pg_restore reads it: the plaintext never touches disk.
//
// Format (version 1):
//   header  "ACOLHEB1" | key id (8 bytes) | salt (32 random bytes) | chunk size (uint32 BE)     52 bytes
//   chunks  AES-256-GCM ciphertext of ≤ chunk-size plaintext bytes, then its 16-byte tag, one after another
// The file key is HKDF-SHA256(BACKUP_ENCRYPTION_KEY, salt): a fresh key per file, so a counter nonce is safe.
// Chunk i's nonce is uint64 BE i | uint32 BE (1 for the last chunk, else 0), and every chunk authenticates the
// header as additional data. So a changed byte, a swapped or dropped chunk, a changed header and a file cut at
// any point (even between chunks: the last chunk left is not marked last) all fail authentication; bytes after
// the last chunk are refused too. Every chunk but the last holds exactly chunk-size bytes.
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { Transform, type TransformCallback } from 'node:stream';
import { ScriptError } from '../client.js';

export const ALGORITHM = 'aes-256-gcm-chunked-v1';
const MAGIC = Buffer.from('ACOLHEB1', 'latin1');
const HEADER_BYTES = MAGIC.length + 8 + 32 + 4;
const TAG_BYTES = 16;
/** Plaintext bytes per chunk: large enough that the 16-byte tag costs nothing, small enough to stream. */
export const CHUNK_BYTES = 1 << 20;
const MAX_CHUNK_BYTES = 64 << 20;
const INFO = Buffer.from('acolhe backup v1 aes-256-gcm');

export interface BackupKey {
  /** 16 hex digits naming the key without revealing it (HMAC-SHA256 of a constant under the key). */
  id: string;
  key: Buffer;
}

/** 32 bytes, written as base64 (`openssl rand -base64 32`) or 64 hex digits. */
export function parseKey(text: string, name = 'BACKUP_ENCRYPTION_KEY'): BackupKey {
  const value = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(value)
    ? Buffer.from(value, 'hex')
    : /^[A-Za-z0-9+/]{43}=$/.test(value)
      ? Buffer.from(value, 'base64')
      : null;
  if (!key || key.length !== 32)
    throw new ScriptError(`${name} must be 32 bytes, as base64 (openssl rand -base64 32) or 64 hex digits`);
  return { id: createHmac('sha256', key).update('acolhe backup key id').digest('hex').slice(0, 16), key };
}

/** The key backups are written with, and every key restores may decrypt with (the current one and older ones). */
export interface KeyRing {
  current: BackupKey | null;
  byId: Map<string, BackupKey>;
}

export function keyRing(current: string | undefined, previous: string): KeyRing {
  const cur = current ? parseKey(current) : null;
  const older = previous
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((k) => parseKey(k, 'BACKUP_PREVIOUS_KEYS'));
  return { current: cur, byId: new Map([...older, ...(cur ? [cur] : [])].map((k) => [k.id, k])) };
}

const fileKey = (master: Buffer, salt: Buffer) => Buffer.from(hkdfSync('sha256', master, salt, INFO, 32));

function nonce(index: number, last: boolean): Buffer {
  const n = Buffer.alloc(12);
  n.writeBigUInt64BE(BigInt(index), 0);
  n.writeUInt32BE(last ? 1 : 0, 8);
  return n;
}

/** Encrypts a stream into the format above. */
export function encryptStream(k: BackupKey, chunkBytes = CHUNK_BYTES): Transform {
  const salt = randomBytes(32);
  const header = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(header, 0);
  Buffer.from(k.id, 'hex').copy(header, MAGIC.length);
  salt.copy(header, MAGIC.length + 8);
  header.writeUInt32BE(chunkBytes, MAGIC.length + 40);
  const key = fileKey(k.key, salt);
  let index = 0;
  let pending: Buffer[] = [];
  let size = 0;
  const seal = (plain: Buffer, last: boolean) => {
    const cipher = createCipheriv('aes-256-gcm', key, nonce(index++, last));
    cipher.setAAD(header);
    return Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
  };
  return new Transform({
    construct(callback) {
      this.push(header);
      callback();
    },
    transform(chunk: Buffer, _enc, callback: TransformCallback) {
      pending.push(chunk);
      size += chunk.length;
      // Keep at least one byte back: the last chunk is only known at the end.
      if (size > chunkBytes) {
        let buf = Buffer.concat(pending);
        while (buf.length > chunkBytes) {
          this.push(seal(buf.subarray(0, chunkBytes), false));
          buf = buf.subarray(chunkBytes);
        }
        pending = [buf];
        size = buf.length;
      }
      callback();
    },
    flush(callback: TransformCallback) {
      this.push(seal(Buffer.concat(pending), true));
      callback();
    },
  });
}

const AUTH_FAILED =
  'the encrypted backup failed authentication: it was modified, truncated or reordered, or the key is wrong';

/** Reads the header of an encrypted backup: its key id, or null for a file that is not one. */
export function readKeyId(file: string): string | null {
  const fd = fs.openSync(file, 'r');
  try {
    const header = Buffer.alloc(HEADER_BYTES);
    const n = fs.readSync(fd, header, 0, HEADER_BYTES, 0);
    if (n < HEADER_BYTES || !header.subarray(0, MAGIC.length).equals(MAGIC)) return null;
    return header.subarray(MAGIC.length, MAGIC.length + 8).toString('hex');
  } finally {
    fs.closeSync(fd);
  }
}

/** The key an encrypted backup needs, from the ring, or a ScriptError saying which one is missing. */
export function keyFor(keyId: string, ring: KeyRing): BackupKey {
  const k = ring.byId.get(keyId);
  if (!k)
    throw new ScriptError(
      `the backup is encrypted with key ${keyId}, which is neither BACKUP_ENCRYPTION_KEY nor one of BACKUP_PREVIOUS_KEYS`,
    );
  return k;
}

/** Decrypts the format above; fails (and emits nothing further) on any damage. */
export function decryptStream(ring: KeyRing): Transform {
  let header: Buffer | null = null;
  let key: Buffer;
  let chunkBytes = 0;
  let index = 0;
  // Incoming bytes are only joined once a whole chunk (and more) is there: each byte is copied about twice.
  let pending: Buffer[] = [];
  let size = 0;
  const take = () => {
    const all = Buffer.concat(pending);
    pending = [];
    size = 0;
    return all;
  };
  const keep = (rest: Buffer) => {
    pending = rest.length ? [rest] : [];
    size = rest.length;
  };
  const open = (sealed: Buffer, last: boolean) => {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce(index++, last));
    decipher.setAAD(header!);
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new ScriptError(AUTH_FAILED);
    }
  };
  return new Transform({
    transform(chunk: Buffer, _enc, callback: TransformCallback) {
      try {
        pending.push(chunk);
        size += chunk.length;
        if (!header) {
          if (size < HEADER_BYTES) return callback();
          const all = take();
          header = Buffer.from(all.subarray(0, HEADER_BYTES));
          if (!header.subarray(0, MAGIC.length).equals(MAGIC))
            throw new ScriptError('not an encrypted Acolhe backup (unknown header)');
          const k = keyFor(header.subarray(MAGIC.length, MAGIC.length + 8).toString('hex'), ring);
          chunkBytes = header.readUInt32BE(MAGIC.length + 40);
          if (chunkBytes < 1 || chunkBytes > MAX_CHUNK_BYTES) throw new ScriptError(AUTH_FAILED);
          key = fileKey(k.key, header.subarray(MAGIC.length + 8, MAGIC.length + 40));
          keep(all.subarray(HEADER_BYTES));
        }
        // A full chunk followed by more bytes is not the last one.
        if (size > chunkBytes + TAG_BYTES) {
          let buf = take();
          while (buf.length > chunkBytes + TAG_BYTES) {
            this.push(open(buf.subarray(0, chunkBytes + TAG_BYTES), false));
            buf = buf.subarray(chunkBytes + TAG_BYTES);
          }
          keep(buf);
        }
        callback();
      } catch (err) {
        callback(err as Error);
      }
    },
    flush(callback: TransformCallback) {
      try {
        if (!header || size < TAG_BYTES) throw new ScriptError(AUTH_FAILED);
        this.push(open(take(), true));
        callback();
      } catch (err) {
        callback(err as Error);
      }
    },
  });
}

// Positions in the change feed: where a client is, and what it resumes from (docs/realtime.md#positions).
// A position is the outbox row's (txid, id) as one opaque string: 16 lowercase hex digits of the transaction id,
// a dash, 16 of the row id. Fixed width, so comparing two positions as strings compares them as positions.
import { badRequest } from '../../platform/errors.js';

export type Position = string;

export const POSITION_PATTERN = '^[0-9a-f]{16}-[0-9a-f]{16}$';
const VALID = new RegExp(POSITION_PATTERN);

/** Before every event: reading after it starts at the oldest event kept. */
export const ORIGIN: Position = '0000000000000000-0000000000000000';

const hex = (n: string | bigint) => BigInt(n).toString(16).padStart(16, '0');

export function encodePosition(txid: string | bigint, id: string | bigint): Position {
  return `${hex(txid)}-${hex(id)}`;
}

/** The (txid, id) of a position as decimal strings, for `$n::xid8` and `$n::bigint`. */
export function decodePosition(p: Position): { txid: string; id: string } {
  return { txid: BigInt(`0x${p.slice(0, 16)}`).toString(), id: BigInt(`0x${p.slice(17)}`).toString() };
}

export const isPosition = (p: unknown): p is Position => typeof p === 'string' && VALID.test(p);

/** A client's resume position, or a 400 naming where it came from. */
export function parsePosition(p: string, where: string): Position {
  if (!isPosition(p))
    throw badRequest('The resume position is malformed', [
      { path: where, message: 'is not an event id sent by this API (16 hex digits, a dash, 16 hex digits)' },
    ]);
  return p;
}

export const maxPosition = (a: Position, b: Position): Position => (a > b ? a : b);

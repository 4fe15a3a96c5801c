/**
 * Message body codec: msgpack via msgpackr, restricted to plain data (plain-data.ts) in both
 * directions.
 *
 * Decoding treats bytes as hostile: msgpack-scan.ts first proves they contain only plain-data
 * tokens with honest lengths and bounded depth (no msgpackr extension handler ever runs except the
 * timestamp one), then msgpackr decodes, then the result is walked once more. Binary values decode
 * as Buffer (a Uint8Array), always copied, so a body never pins a socket chunk in memory.
 */
import { FLOAT32_OPTIONS, Packr, Unpackr } from 'msgpackr';
import { SessionMeshError } from '../errors.js';
import { MAX_BODY_DEPTH } from './limits.js';
import { scanMsgpack } from './msgpack-scan.js';
import { findPlainDataIssue } from './plain-data.js';

// `skipValues` exists in msgpackr's packer but not in its type definitions, hence the variable.
const packOptions = {
  useRecords: false, // no record extension: every object is an ordinary msgpack map
  moreTypes: false, // no Set/Map/RegExp/Error/typed-array extensions (refused before packing anyway)
  structuredClone: false,
  bundleStrings: false,
  useFloat32: FLOAT32_OPTIONS.NEVER, // numbers survive a round trip exactly
  skipValues: [undefined], // `{a: undefined}` encodes as `{}`, as with JSON
};
const packr = new Packr(packOptions);

const unpackr = new Unpackr({
  mapsAsObjects: true,
  useRecords: false,
  structuredClone: false,
  int64AsType: 'number', // never a BigInt out of a 64-bit integer
  copyBuffers: true,
});

/**
 * Encodes a body. Throws ERR_INVALID_VALUE (with the path of the offending value) for anything
 * that is not plain data: that is a bug or a bad value at the sender, never a network condition.
 */
export function encodeBody(value: unknown): Uint8Array {
  const issue = findPlainDataIssue(value, { maxDepth: MAX_BODY_DEPTH, allowUndefinedProperties: true });
  if (issue) {
    throw new SessionMeshError('ERR_INVALID_VALUE', `cannot encode message body: ${issue.path}: ${issue.reason}`, { path: issue.path });
  }
  try {
    return packr.pack(value);
  } catch (err) {
    throw new SessionMeshError('ERR_INVALID_VALUE', `cannot encode message body: ${(err as Error).message}`, undefined, { cause: err });
  }
}

/** Decodes an untrusted body. Throws ERR_BAD_FRAME with a reason for anything but plain data. */
export function decodeBody(bytes: Uint8Array): unknown {
  const problem = scanMsgpack(bytes, MAX_BODY_DEPTH);
  if (problem !== null) throw new SessionMeshError('ERR_BAD_FRAME', `bad message body: ${problem}`);
  const source = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let value: unknown;
  try {
    value = unpackr.unpack(source);
  } catch (err) {
    throw new SessionMeshError('ERR_BAD_FRAME', `bad message body: ${(err as Error).message}`, undefined, { cause: err });
  }
  const issue = findPlainDataIssue(value, { maxDepth: MAX_BODY_DEPTH });
  if (issue) throw new SessionMeshError('ERR_BAD_FRAME', `bad message body: ${issue.path}: ${issue.reason}`);
  return value;
}

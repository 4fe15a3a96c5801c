/** Reading a JSON request body with a size limit; bad bodies become clean 400/413 answers. */
import type http from 'node:http';
import { SessionMeshError } from '../errors.js';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function readJsonBody(req: http.IncomingMessage, maxBytes: number): Promise<unknown> {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type)) throw new HttpError(415, 'ERR_BAD_REQUEST', 'the body must be JSON (content-type: application/json)');
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    req.resume();
    throw new HttpError(413, 'ERR_SESSION_TOO_LARGE', `request body of ${declared} bytes is over the ${maxBytes}-byte limit`);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > maxBytes) {
      req.resume();
      throw new HttpError(413, 'ERR_SESSION_TOO_LARGE', `request body is over the ${maxBytes}-byte limit`);
    }
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    // JSON.parse never builds prototypes: a "__proto__" key becomes an own property, which the
    // session layer then refuses by name.
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new HttpError(400, 'ERR_BAD_REQUEST', `invalid JSON: ${(err as Error).message}`);
  }
}

const STATUS_BY_CODE: Record<string, number> = {
  ERR_NOT_FOUND: 404,
  ERR_VERSION_CONFLICT: 409,
  ERR_SESSION_TOO_LARGE: 413,
  ERR_INVALID_VALUE: 400,
  ERR_CONFIG: 400,
  ERR_NO_QUORUM: 503,
  ERR_UNAVAILABLE: 503,
  ERR_TIMEOUT: 503,
  ERR_CONNECTION: 503,
  ERR_BACKPRESSURE: 503,
  ERR_CLOSED: 503,
};

/** HTTP status for an error thrown by the session layer. */
export function statusForError(err: unknown): { status: number; code: string; message: string } {
  if (err instanceof HttpError) return { status: err.status, code: err.code, message: err.message };
  if (err instanceof SessionMeshError) return { status: STATUS_BY_CODE[err.code] ?? 500, code: err.code, message: err.message };
  return { status: 500, code: 'ERR_INTERNAL', message: 'internal error' };
}

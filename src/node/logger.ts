import { pino } from 'pino';
import type { Logger } from '../log.js';

/** The default logger: pino JSON lines on stdout (one line per membership change, with its reason). */
export function createLogger(level: string): Logger {
  return pino({ level, base: { pid: process.pid } }) as unknown as Logger;
}

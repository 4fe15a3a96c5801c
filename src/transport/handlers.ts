import type { Logger } from '../log.js';

/**
 * The handlers registered with onMessage/onPeerEvent. A handler that throws is a bug in the
 * consumer: it is logged and rethrown on a fresh microtask (an uncaught exception, loud in tests)
 * so that it can never leave the transport's own state half-updated.
 */
export class HandlerSet<T> {
  private readonly handlers: Array<(value: T) => void> = [];

  constructor(
    private readonly logger: Logger,
    private readonly what: string,
  ) {}

  add(handler: (value: T) => void): void {
    if (typeof handler !== 'function') throw new TypeError(`${this.what} handler must be a function`);
    this.handlers.push(handler);
  }

  emit(value: T): void {
    for (const h of this.handlers) {
      try {
        h(value);
      } catch (err) {
        this.logger.error({ err }, `${this.what} handler threw`);
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }
}

import type { Logger } from '../log.js';

/**
 * The handlers registered with onMessage/onPeerEvent. A handler that throws is a bug in the
 * consumer: it is caught here, so that it can never leave the transport's own state half-updated,
 * and logged at error level with code ERR_INTERNAL. It is not rethrown: these run in socket
 * callbacks, where an exception would be uncaught and end the app process that embeds the member
 * (issue #11: no exception may escape a timer, socket or transport callback). The node's own
 * handlers catch and log their errors themselves; this is the last line.
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
        this.logger.error({ code: 'ERR_INTERNAL', err }, `${this.what} handler threw`);
      }
    }
  }
}

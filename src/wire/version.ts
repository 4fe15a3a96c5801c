/**
 * The protocol version carried in the second byte of every frame and in the handshake Hello.
 * Bump it only for an incompatible change of the frame layout or of a message's meaning; adding a
 * message type (append-only registry) or an optional body field is not one.
 */
export const PROTOCOL_VERSION = 2;

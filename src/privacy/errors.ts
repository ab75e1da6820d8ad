/**
 * The one error a decryption raises. Its message says what went wrong and, when known, the key
 * version and the context (a column name such as `orders.customer_email`), but never the token,
 * the plaintext or any key: a caller that passed a still-clear value by mistake must not get it
 * echoed into a log line. Callers branch on `reason`, not on the message.
 *
 * A DecryptionError that reaches the HTTP layer is an unknown error there, so it becomes a
 * generic 500: stored data that cannot be read is our fault, not the client's.
 */
export type DecryptionFailure =
  /** Not a token of ours: wrong prefix, bad base64url, wrong IV or tag length, truncated. */
  | "malformed"
  /** The token names a key version that ENCRYPTION_KEYS does not list (anymore). */
  | "unknown_key_version"
  /** GCM authentication failed: wrong key, wrong context, or the token was altered. */
  | "authentication_failed";

export class DecryptionError extends Error {
  readonly code = "decryption_failed" as const;
  constructor(
    readonly reason: DecryptionFailure,
    message: string,
  ) {
    super(message);
    this.name = "DecryptionError";
  }
}

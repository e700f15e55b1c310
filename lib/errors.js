'use strict';

/**
 * The one error type this package throws. `code` is stable across releases:
 * CONFIG, INVALID_INPUT, CREATE_DISABLED, UPDATE_DISABLED, DELETE_DISABLED,
 * DUPLICATE_USER, USER_NOT_FOUND, MISSING_EMAIL, PARTNER_API, TIMEOUT,
 * NETWORK, STORE, NOT_FOUND, INTERNAL.
 */
class AdapterError extends Error {
  constructor(code, message, details = {}) {
    super(message);
    this.name = 'AdapterError';
    this.code = code;
    if (details.status != null) this.status = details.status;
    if (details.partnerCode != null) this.partnerCode = details.partnerCode;
  }
}

/** The message of anything thrown, without ever throwing itself. */
function messageOf(thrown) {
  try {
    if (thrown instanceof Error) return String(thrown.message);
    return String(thrown);
  } catch {
    return 'an unprintable value was thrown';
  }
}

module.exports = { AdapterError, messageOf };

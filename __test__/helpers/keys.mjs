// The store key layout documented in the README, written out independently
// of the Rust code so tests can find records and notice if it ever changes.

/** One variable key part, percent-encoded as one URL path segment. */
export function seg(text) {
  let out = '';
  for (const byte of Buffer.from(String(text), 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9_~-]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export const keys = {
  verification: (identifier, token) => `verification:{${seg(identifier)}}:${seg(token)}`,
  verificationTokens: (identifier) => `verification-tokens:{${seg(identifier)}}`,
  verificationFailures: (identifier) => `verification-failures:{${seg(identifier)}}`,
  account: (provider, id) => `account:${seg(provider)}:${seg(id)}`,
  session: (token) => `session:${seg(token)}`,
  authenticator: (credentialID) => `authenticator:${seg(credentialID)}`,
  index: (userId, kind) => `user:{${seg(userId)}}:${kind}`,
  userDeleted: (userId) => `user:{${seg(userId)}}:deleted`,
  userCreation: (email) => `user-creation:{${seg(email)}}`,
};

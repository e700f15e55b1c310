// Records in the Auth.js shapes, shared by the store-level suites.

// The Auth.js adapter contract's methods, in its order.
export const ADAPTER_METHODS = [
  'createUser',
  'getUser',
  'getUserByEmail',
  'getUserByAccount',
  'updateUser',
  'deleteUser',
  'linkAccount',
  'unlinkAccount',
  'getAccount',
  'createSession',
  'getSessionAndUser',
  'updateSession',
  'deleteSession',
  'createVerificationToken',
  'useVerificationToken',
  'createAuthenticator',
  'getAuthenticator',
  'listAuthenticatorsByUserId',
  'updateAuthenticatorCounter',
];

export const inMs = (ms) => new Date(Date.now() + ms);

export function verificationToken(identifier, token, ttlMs = 60_000) {
  return { identifier, token, expires: inMs(ttlMs) };
}

export function authenticator(credentialID, userId) {
  return {
    credentialID,
    userId,
    providerAccountId: credentialID,
    credentialPublicKey: 'pQECAyYgASFYIK',
    counter: 0,
    credentialDeviceType: 'singleDevice',
    credentialBackedUp: false,
    transports: 'internal',
  };
}

export function oauthAccount(userId, provider, providerAccountId) {
  return {
    userId,
    type: 'oauth',
    provider,
    providerAccountId,
    access_token: `at-${providerAccountId}`,
    refresh_token: `rt-${providerAccountId}`,
    expires_at: 1_900_000_000,
    token_type: 'bearer',
    scope: 'read:user user:email',
  };
}

// next-auth v5 with the ChatBotKit partner adapter: every signed-in person is a
// ChatBotKit partner user. Configured lazily (a function), so nothing reads the
// environment or loads the native addon while `next build` runs.

import NextAuth from 'next-auth';
import { ChatBotKitEmailProvider } from 'nextauth-chatbotkit';
import { adapter, autoCreateUser, fakeOAuth, normalizeEmail, outbox } from './lib/chatbotkit.js';

/** The local fake OAuth 2 provider `npm run demo:app` starts (fake-oauth.mjs). */
function FakeOAuthProvider({ url, clientId, clientSecret }) {
  return {
    id: 'fake-oauth',
    name: 'Fake OAuth',
    type: 'oauth',
    clientId,
    clientSecret,
    authorization: { url: `${url}/authorize`, params: { scope: 'profile email' } },
    token: `${url}/token`,
    userinfo: `${url}/userinfo`,
    checks: ['pkce', 'state'],
    profile: (profile) => ({
      id: profile.sub,
      email: profile.email,
      name: profile.name ?? null,
      image: null,
    }),
  };
}

/** Whether `user` may sign in when sign-up is closed: only existing partner users. */
async function isKnown({ user, account }) {
  const users = adapter();
  if (account?.type !== 'email' && account) {
    const linked = await users.getUserByAccount({
      provider: account.provider,
      providerAccountId: account.providerAccountId,
    });
    if (linked) return true;
  }
  // An existing partner user with this email. For OAuth, Auth.js then decides
  // about linking (refused as OAuthAccountNotLinked unless
  // allowDangerousEmailAccountLinking).
  return Boolean(user?.email && (await users.getUserByEmail(user.email)));
}

export const { handlers, auth, signIn, signOut } = NextAuth(() => {
  const oauth = fakeOAuth();
  return {
    adapter: adapter(),
    // Sessions live in the adapter's store (`createSession`, `getSessionAndUser`).
    session: { strategy: 'database' },
    // The example runs on whatever host it is reached by (loopback in the demo).
    trustHost: true,
    pages: { signIn: '/signin', error: '/signin/error', verifyRequest: '/signin' },
    providers: [
      ChatBotKitEmailProvider({
        normalizeIdentifier: normalizeEmail,
        // There is no mailer here: the code goes to the terminal and /dev/outbox.
        async sendVerificationRequest({ identifier, token, expires }) {
          outbox.push({ to: identifier, code: token, sentAt: new Date(), expires });
          console.log(
            `[outbox] sign-in code for ${identifier}: ${token} (valid until ${expires.toISOString()})`,
          );
        },
      }),
      ...(oauth ? [FakeOAuthProvider(oauth)] : []),
    ],
    callbacks: {
      // With AUTO_CREATE_USER off, refuse unknown people up front with a clear
      // page (before a code is sent), rather than letting createUser throw
      // CREATE_DISABLED, which Auth.js reports as a server configuration error.
      async signIn({ user, account }) {
        if (autoCreateUser() || (await isKnown({ user, account }))) return true;
        const params = new URLSearchParams({ error: 'SignUpClosed' });
        if (user?.email) params.set('email', user.email);
        return `/signin/error?${params}`;
      },
      // Database sessions: `user` is the ChatBotKit partner user.
      session({ session, user }) {
        session.user.id = user.id;
        return session;
      },
    },
  };
});

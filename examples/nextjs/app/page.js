// The signed-in page: the ChatBotKit partner user behind the session, and a
// ChatBotKit session for that user's own environment, obtained server-side.
import { redirect } from 'next/navigation';
import { createChatBotKitSession } from 'nextauth-chatbotkit';
import { auth, signOut } from '../auth.js';
import { partnerOptions } from '../lib/chatbotkit.js';

export const dynamic = 'force-dynamic';

/** Enough of a token to recognise it, not enough to use it. */
const mask = (token) => `${token.slice(0, 6)}…(${token.length} characters)`;

export default async function AccountPage() {
  const session = await auth();
  if (!session?.user) redirect('/signin');

  let chatbotkit = null;
  let failure = null;
  try {
    // The partner secret never reaches the browser: the token is scoped to
    // this user's own ChatBotKit environment and expires in an hour.
    chatbotkit = await createChatBotKitSession(partnerOptions(), session.user.id, {
      durationInSeconds: 3600,
    });
  } catch (error) {
    failure = `${error.code ?? 'ERROR'}: ${error.message}`;
  }

  async function signOutAction() {
    'use server';
    await signOut({ redirectTo: '/signin' });
  }

  return (
    <>
      <h1>Signed in</h1>
      <dl>
        <dt>Email</dt>
        <dd data-testid="email">{session.user.email}</dd>
        <dt>Name</dt>
        <dd data-testid="name">{session.user.name || '—'}</dd>
        <dt>ChatBotKit user id</dt>
        <dd>
          <code data-testid="user-id">{session.user.id}</code>
        </dd>
        <dt>Auth.js session until</dt>
        <dd>
          <time dateTime={session.expires}>{session.expires}</time>
        </dd>
      </dl>

      <h2>ChatBotKit session</h2>
      <p className="muted">
        From <code>createChatBotKitSession()</code> on the server: a short-lived token for this
        user&apos;s own ChatBotKit environment, for the browser to talk to ChatBotKit without the
        partner secret.
      </p>
      {chatbotkit ? (
        <dl data-testid="chatbotkit-session">
          <dt>Session id</dt>
          <dd>
            <code data-testid="cbk-session-id">{chatbotkit.id}</code>
          </dd>
          <dt>Token</dt>
          <dd>
            <code>{mask(chatbotkit.token)}</code>
          </dd>
          <dt>Expires</dt>
          <dd>
            <time data-testid="cbk-session-expires" dateTime={chatbotkit.expiresAt.toISOString()}>
              {chatbotkit.expiresAt.toISOString()}
            </time>
          </dd>
        </dl>
      ) : (
        <p className="error" data-testid="cbk-session-error">
          No ChatBotKit session: {failure}
        </p>
      )}

      <form action={signOutAction}>
        <button type="submit" className="secondary">
          Sign out
        </button>
      </form>
    </>
  );
}

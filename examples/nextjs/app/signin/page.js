// Sign-in: type your email, then the 6-character code sent to it; or use the
// fake OAuth provider. Works without client-side JavaScript.
import { fakeOAuth, outboxEnabled } from '../../lib/chatbotkit.js';
import { requestCode, signInWithFakeOAuth } from './actions.js';

export const dynamic = 'force-dynamic';

export default async function SignInPage({ searchParams }) {
  const { email } = await searchParams;

  if (email) {
    return (
      <>
        <h1>Enter your code</h1>
        <p>
          We sent a 6-character code to <strong data-testid="code-email">{email}</strong>. It is
          valid for 15 minutes.
        </p>
        {outboxEnabled() ? (
          <p className="muted">
            No mail is sent here: the code is printed in the terminal and listed in the{' '}
            <a href="/dev/outbox">outbox</a>.
          </p>
        ) : null}
        {/* A plain GET form: /signin/verify tidies the code and hands it to Auth.js. */}
        <form method="get" action="/signin/verify">
          <input type="hidden" name="email" value={email} />
          <input
            name="code"
            aria-label="Code"
            placeholder="a1b2c3"
            required
            minLength={6}
            maxLength={8}
            autoComplete="one-time-code"
            autoFocus
          />
          <button type="submit">Sign in</button>
        </form>
        <p>
          <a href="/signin">Use another email</a>
        </p>
      </>
    );
  }

  const oauth = fakeOAuth();
  return (
    <>
      <h1>Sign in</h1>
      <p className="muted">Your account is a ChatBotKit partner user.</p>
      <form action={requestCode}>
        <input
          type="email"
          name="email"
          aria-label="Email"
          placeholder="you@example.com"
          required
          autoComplete="email"
          autoFocus
        />
        <button type="submit">Email me a code</button>
      </form>
      {oauth ? (
        <form action={signInWithFakeOAuth}>
          <button type="submit" className="secondary">
            Sign in with Fake OAuth
          </button>
        </form>
      ) : null}
    </>
  );
}

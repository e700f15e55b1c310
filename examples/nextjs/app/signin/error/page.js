// Auth.js's error page (pages.error), and where a refused sign-up lands.
export const dynamic = 'force-dynamic';

const MESSAGES = {
  SignUpClosed: {
    title: 'Sign-up is closed',
    text: (email) =>
      `There is no ChatBotKit account for ${email ?? 'this identity'}, and this app does not create new accounts (AUTO_CREATE_USER is off). Ask an administrator to create your account, or sign in with an email that has one.`,
  },
  Verification: {
    title: 'That code did not work',
    text: () => 'The code is wrong, has expired, or was already used. Request a new one.',
  },
  OAuthAccountNotLinked: {
    title: 'This email already has an account',
    text: () =>
      'An account with this email exists but is not linked to this provider. Sign in with an email code instead.',
  },
  InvalidEmail: {
    title: 'That is not an email address',
    text: () => 'Check the address and try again.',
  },
  AccessDenied: {
    title: 'Access denied',
    text: () => 'You are not allowed to sign in.',
  },
};

const FALLBACK = {
  title: 'Sign-in failed',
  text: () => 'Something went wrong on the server; its log has the details.',
};

export default async function SignInErrorPage({ searchParams }) {
  const { error, email } = await searchParams;
  const { title, text } = MESSAGES[error] ?? FALLBACK;
  return (
    <>
      <h1>{title}</h1>
      <p className="error" data-testid="signin-error" data-error={error ?? 'Unknown'}>
        {text(email)}
      </p>
      <p>
        <a href="/signin">Back to sign-in</a>
      </p>
    </>
  );
}

'use server';

import { redirect } from 'next/navigation';
import { signIn } from '../../auth.js';
import { normalizeEmail } from '../../lib/chatbotkit.js';

/** Step 1: send a code to the email typed, then ask for the code. */
export async function requestCode(formData) {
  let email;
  try {
    email = normalizeEmail(formData.get('email'));
  } catch {
    email = null;
  }
  if (!email) redirect('/signin/error?error=InvalidEmail');

  // On success Auth.js answers with its verify-request URL; otherwise with
  // where it wants the browser (sign-up closed, an error page).
  const next = await signIn('email', { email, redirect: false, redirectTo: '/' });
  if (new URL(next, 'http://localhost').pathname.endsWith('/verify-request')) {
    redirect(`/signin?${new URLSearchParams({ email })}`);
  }
  redirect(next);
}

/** The local fake OAuth provider: off to its authorization page. */
export async function signInWithFakeOAuth() {
  await signIn('fake-oauth', { redirectTo: '/' });
}

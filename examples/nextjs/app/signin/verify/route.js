// GET /signin/verify?email=…&code=…: the code form's target. Tidies what was
// typed (spaces, upper case) and passes it to Auth.js's email callback.
export function GET(request) {
  const query = new URL(request.url).searchParams;
  const token = (query.get('code') ?? '').replace(/\s+/g, '').toLowerCase();
  const params = new URLSearchParams({ token, email: query.get('email') ?? '', callbackUrl: '/' });
  return new Response(null, {
    status: 303,
    headers: { location: `/api/auth/callback/email?${params}`, 'cache-control': 'no-store' },
  });
}

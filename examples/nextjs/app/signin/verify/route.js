// GET /signin/verify?email=…&code=…: the code form's target. emailCallbackUrl
// tidies what was typed (spaces, upper case) and points at Auth.js's email callback.
import { emailCallbackUrl } from 'nextauth-chatbotkit';

export function GET(request) {
  const query = new URL(request.url).searchParams;
  const location = emailCallbackUrl({
    email: query.get('email'),
    code: query.get('code'),
    callbackUrl: '/',
  });
  return new Response(null, {
    status: 303,
    headers: { location, 'cache-control': 'no-store' },
  });
}

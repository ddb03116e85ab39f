/**
 * Signs in to the console of the server at `base` through its form, as a browser does (the CSRF
 * cookie and token from the sign-in page, then the password); returns the Cookie header to send
 * with the next requests. Throws when the server does not sign in.
 */
export async function signIn(base: string, password: string): Promise<string> {
  const form = await fetch(`${base}/admin/login`);
  const csrfCookie = form.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const token = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1];
  const res = await fetch(`${base}/admin/login`, {
    method: 'POST',
    headers: { cookie: csrfCookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: token, password }).toString(),
    redirect: 'manual',
  });
  const session = res.headers.getSetCookie().find((c) => c.startsWith('mc_admin='));
  if (res.status !== 303 || session === undefined) throw new Error(`signing in failed: ${res.status}`);
  return `${csrfCookie}; ${session.split(';')[0]}`;
}

// Calls a gateway from pages of two origins in the machine's Chromium, as a browser front end
// would: signs in, reads a guarded route with the token, and reads one without it. Prints what
// each page saw, as JSON (never the token).
//
// node cors.mjs '{"pages": {"allowed": URL, "denied": URL}, "api": URL, "email": ..., "password": ..., "inbox": PATH}'

import { chromium } from 'playwright-core';

const config = JSON.parse(process.argv[2]);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox'],
});
try {
  const seen = {};
  for (const [name, url] of Object.entries(config.pages)) {
    const page = await browser.newPage();
    await page.goto(url);
    seen[name] = await page.evaluate(async ({ api, email, password, inbox }) => {
      const out = {};
      const call = async (what, path, init) => {
        try {
          const answer = await fetch(api + path, init);
          out[what] = {
            status: answer.status,
            request_id: answer.headers.get('x-request-id'),
            challenge: answer.headers.get('www-authenticate'),
          };
          return answer;
        } catch (e) {
          out[what] = { error: String(e) };
          return null;
        }
      };
      const login = await call('login', '/sessions', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password }),
      });
      if (login && login.ok) {
        const session = await login.json();
        const path = inbox.replace('{applicant_id}', encodeURIComponent(session.applicant_id));
        const messages = await call('inbox', path, {
          headers: { authorization: `Bearer ${session.access_token}` },
        });
        if (messages && messages.ok) {
          out.inbox.count = (await messages.json()).length;
        }
        await call('no_token', path, {});
      }
      return out;
    }, config);
    await page.close();
  }
  console.log(JSON.stringify(seen));
} finally {
  await browser.close();
}

import { html } from 'hono/html';
import { page, type Html } from './layout.ts';

/** The sign-in form: the regulator token, posted to /portal/login, then on to `next`. */
export function loginPage(o: { next: string; error?: string }): Html {
  return page(
    'Sign in',
    html`<div class="card" style="max-width:440px;margin:40px auto">
<h1>Sign in</h1>
<p class="mute">The portal shows batch records, settlements and workers of this deployment. Enter a regulator token issued by its operator.</p>
${o.error ? html`<div class="error">${o.error}</div>` : ''}
<form method="post" action="/portal/login">
<input type="hidden" name="next" value="${o.next}">
<label>Regulator token<input type="password" name="token" autocomplete="current-password" required autofocus style="width:100%"></label>
<p><button class="primary" type="submit">Sign in</button></p>
</form></div>`,
    { signedIn: false },
  );
}

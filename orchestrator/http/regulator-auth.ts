import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import type { RegulatorTokens } from './regulator-tokens.ts';

/** The portal's session cookie: the token itself, HttpOnly, SameSite=Strict, path /. */
export const PORTAL_COOKIE = 'drex_portal';
/** How long the portal cookie lives. */
export const PORTAL_COOKIE_MAX_AGE_S = 12 * 3600;

/** Why a request was refused: no credentials, wrong ones, or a cookie sent by another origin's page. */
export type AuthRefusal = 'missing' | 'invalid' | 'cross-origin';

/** The credentials a request carries: its bearer token (the Authorization header wins) or the portal cookie. */
export function credentialsOf(c: Context): { token: string; via: 'bearer' | 'cookie' } | null {
  const h = c.req.header('authorization');
  if (h !== undefined) {
    const m = /^Bearer[ ]+([\x21-\x7e]+)\s*$/i.exec(h);
    return { token: m ? m[1]! : '', via: 'bearer' };
  }
  const cookie = getCookie(c, PORTAL_COOKIE);
  return cookie ? { token: cookie, via: 'cookie' } : null;
}

/** A state-changing request whose Origin (when the browser sends one) is not this host. */
function crossOrigin(c: Context): boolean {
  if (c.req.method === 'GET' || c.req.method === 'HEAD') return false;
  const origin = c.req.header('origin');
  if (!origin || origin === 'null') return origin === 'null';
  try {
    return new URL(origin).host !== (c.req.header('host') ?? new URL(c.req.url).host);
  } catch {
    return true;
  }
}

/**
 * Admits a request only with a configured regulator token, as `Authorization: Bearer <token>` or the
 * portal cookie; a cookie-authenticated state-changing request must also come from this origin (the
 * cookie is SameSite=Strict already). Anything else is answered by `refuse` (401 with
 * `WWW-Authenticate: Bearer`), and counted through `onRefused`.
 */
export function requireRegulator(o: { tokens: RegulatorTokens; refuse: (c: Context, why: AuthRefusal) => Response | Promise<Response>; onRefused?: (why: AuthRefusal) => void }): MiddlewareHandler {
  return async (c, next) => {
    const cred = credentialsOf(c);
    const why: AuthRefusal | null = !cred ? 'missing' : !o.tokens.matches(cred.token) ? 'invalid' : cred.via === 'cookie' && crossOrigin(c) ? 'cross-origin' : null;
    if (why) {
      o.onRefused?.(why);
      c.header('WWW-Authenticate', why === 'missing' ? 'Bearer realm="drex-regulator"' : 'Bearer realm="drex-regulator", error="invalid_token"');
      return o.refuse(c, why);
    }
    await next();
  };
}

/** What a refusal says to a person. */
export function refusalMessage(why: AuthRefusal): string {
  switch (why) {
    case 'missing':
      return 'a regulator token is required (Authorization: Bearer <token>, or sign in to the portal)';
    case 'invalid':
      return 'the regulator token is not valid';
    case 'cross-origin':
      return "the request came from another site's page; send it from the portal itself";
  }
}

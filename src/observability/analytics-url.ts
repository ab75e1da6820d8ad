/**
 * What Vercel Analytics may see of a page's URL: the client's progress page is
 * `/projects/<id>?token=<secret>`, and whoever holds the token sees the client's project. Every
 * query parameter whose name says it holds a credential is dropped before the event leaves the
 * browser (`beforeSend`, src/app/analytics.tsx); the path and other parameters stay.
 */
const CREDENTIAL_PARAM = /token|secret|key|signature|password|session|code/i;

export function redactAnalyticsUrl(url: string): string {
  const query = url.indexOf("?");
  if (query < 0) return url;
  const hash = url.indexOf("#", query);
  const base = url.slice(0, query);
  const search = url.slice(query + 1, hash < 0 ? undefined : hash);
  // Decision: the fragment is dropped with the query's secrets, since it is never needed for page
  // views and a client-side token could as well live there.
  const params = new URLSearchParams(search);
  for (const name of [...new Set(params.keys())]) if (CREDENTIAL_PARAM.test(name)) params.delete(name);
  const kept = params.toString();
  return kept ? `${base}?${kept}` : base;
}

export function redactAnalyticsEvent<E extends { url: string }>(event: E): E {
  return { ...event, url: redactAnalyticsUrl(event.url) };
}

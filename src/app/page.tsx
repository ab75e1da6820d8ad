export default function Home() {
  return (
    <main>
      <h1>Agent Orchestrator</h1>
      <p>Durable multi-agent workflows on Postgres.</p>
      <ul>
        <li>
          {/* eslint-disable-next-line @next/next/no-html-link-for-pages -- a JSON route handler, not a page: a full load, not client navigation */}
          <a href="/api/health">/api/health</a>: platform and database health
        </li>
        <li>
          <code>/api/keys</code>, <code>/api/audit</code>: API keys and the audit log (admin key required)
        </li>
      </ul>
    </main>
  );
}

import { afterEach, expect, it } from "vitest";
import { createApiKey } from "@/auth/api-keys";
import { GET as listAudit } from "@/app/api/audit/route";
import { DELETE as revokeKey } from "@/app/api/keys/[id]/route";
import { GET as listKeys, POST as createKey } from "@/app/api/keys/route";
import { describeDb } from "../helpers/db";
import { callJson } from "../helpers/http";

interface KeyBody {
  id: string;
  name: string;
  role: string;
  prefix: string;
  key?: string;
  revokedAt: string | null;
}

describeDb("API keys over HTTP", (suite) => {
  afterEach(() => {
    delete process.env.ADMIN_API_KEY;
  });

  async function adminKey(): Promise<string> {
    return (await createApiKey(suite.db(), { name: "test admin", role: "admin" })).key;
  }

  it("creates a key that is shown once, works at once, and is listed without its secret", async () => {
    const admin = await adminKey();
    const created = await callJson<KeyBody>(createKey, "/api/keys", {
      method: "POST",
      key: admin,
      body: { name: "ci bot", role: "operator" },
    });
    expect(created.status).toBe(201);
    expect(created.body.key).toMatch(/^aok_[A-Za-z0-9_-]{43}$/);
    expect(created.body.role).toBe("operator");

    const asNewKey = await callJson(listKeys, "/api/keys", { key: created.body.key });
    expect(asNewKey.status).toBe(403); // operator < admin, but the key is recognised

    const listed = await callJson<{ keys: KeyBody[] }>(listKeys, "/api/keys", { key: admin });
    expect(listed.status).toBe(200);
    const text = JSON.stringify(listed.body);
    expect(text).not.toContain(created.body.key);
    expect(text).not.toContain(admin);
    expect(listed.body.keys.map((k) => k.id)).toContain(created.body.id);
  });

  it("revokes a key: it stops working at once, and revoking an unknown id is a 404", async () => {
    const admin = await adminKey();
    const { key, apiKey } = await createApiKey(suite.db(), { name: "to revoke", role: "admin" });
    expect((await callJson(listKeys, "/api/keys", { key })).status).toBe(200);
    const revoked = await callJson<KeyBody>(revokeKey, `/api/keys/${apiKey.id}`, {
      method: "DELETE",
      key: admin,
      params: { id: apiKey.id },
    });
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).not.toBeNull();
    expect((await callJson(listKeys, "/api/keys", { key })).status).toBe(401);
    const unknown = "00000000-0000-4000-8000-000000000000";
    expect(
      (await callJson(revokeKey, `/api/keys/${unknown}`, { method: "DELETE", key: admin, params: { id: unknown } }))
        .status,
    ).toBe(404);
    expect(
      (
        await callJson(revokeKey, "/api/keys/not-a-uuid", {
          method: "DELETE",
          key: admin,
          params: { id: "not-a-uuid" },
        })
      ).status,
    ).toBe(404);
  });

  it("honours ADMIN_API_KEY as an admin key without storing it", async () => {
    process.env.ADMIN_API_KEY = "env-admin-key-for-tests-0123456789";
    const res = await callJson<{ keys: KeyBody[] }>(listKeys, "/api/keys", { key: process.env.ADMIN_API_KEY });
    expect(res.status).toBe(200);
    expect((await callJson(listKeys, "/api/keys", { key: "env-admin-key-for-tests-012345678X" })).status).toBe(401);
  });

  it("pages through the key list with a cursor", async () => {
    const admin = await adminKey();
    for (let i = 0; i < 5; i++) await createApiKey(suite.db(), { name: `page ${i}`, role: "viewer" });
    const seen = new Set<string>();
    let cursor: string | null = null;
    do {
      const q: string = cursor ? `?limit=2&cursor=${encodeURIComponent(cursor)}` : "?limit=2";
      const page = await callJson<{ keys: KeyBody[]; nextCursor: string | null }>(listKeys, `/api/keys${q}`, {
        key: admin,
      });
      expect(page.status).toBe(200);
      expect(page.body.keys.length).toBeLessThanOrEqual(2);
      for (const k of page.body.keys) {
        expect(seen.has(k.id)).toBe(false);
        seen.add(k.id);
      }
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen.size).toBeGreaterThanOrEqual(6);
  });

  it("records every mutating call in the audit log, whatever its outcome, and pages through it", async () => {
    const admin = await adminKey();
    const ok = await callJson<KeyBody>(createKey, "/api/keys", {
      method: "POST",
      key: admin,
      body: { name: "audited", role: "viewer" },
    });
    const bad = await callJson(createKey, "/api/keys", {
      method: "POST",
      key: admin,
      body: { name: "", role: "root" },
    });
    expect(bad.status).toBe(400);
    const viewer = ok.body.key!;
    const denied = await callJson(createKey, "/api/keys", {
      method: "POST",
      key: viewer,
      body: { name: "x", role: "admin" },
    });
    expect(denied.status).toBe(403);

    const first = await callJson<{
      entries: { action: string; outcome: number; target: string | null; actor: string }[];
      nextCursor: string | null;
    }>(listAudit, "/api/audit?limit=2", { key: admin });
    expect(first.status).toBe(200);
    expect(first.body.entries.map((e) => e.outcome)).toEqual([403, 400]);
    expect(first.body.nextCursor).not.toBeNull();
    const second = await callJson<{ entries: { action: string; outcome: number; target: string | null }[] }>(
      listAudit,
      `/api/audit?limit=2&cursor=${first.body.nextCursor}`,
      { key: admin },
    );
    expect(second.body.entries[0]).toMatchObject({ action: "keys.create", outcome: 201, target: ok.body.id });
    expect(JSON.stringify([first.body, second.body])).not.toContain(viewer);
  });
});

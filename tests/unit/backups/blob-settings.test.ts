/**
 * The Vercel Blob destination's configuration (src/backups/blob.ts): off without its token, a
 * token of the wrong shape or an unsafe folder refused, the recorded location naming the store and
 * folder but never the token, and a blob:// address read only with the token of its store.
 */
import { describe, expect, it } from "vitest";
import { blobSettings, configuredBlob, parseBlobAddress } from "@/backups/blob";

const TOKEN = "vercel_blob_rw_store123_secretSECRET42";
const env = (values: Record<string, string>) => values as unknown as NodeJS.ProcessEnv;

describe("the Vercel Blob backup destination's settings", () => {
  it("is off without BACKUP_BLOB_READ_WRITE_TOKEN (not the sites' BLOB_READ_WRITE_TOKEN)", () => {
    expect(blobSettings(env({ BLOB_READ_WRITE_TOKEN: TOKEN }))).toBeUndefined();
    expect(configuredBlob(env({ BACKUP_BLOB_READ_WRITE_TOKEN: "  " }))).toBeUndefined();
  });

  it("refuses a token of another shape and an unsafe folder, without echoing the token", () => {
    expect(() => blobSettings(env({ BACKUP_BLOB_READ_WRITE_TOKEN: "not-a-token" }))).toThrow(/read-write token/);
    const secretish = "vercel_blob_rw_x_";
    const refused = (() => {
      try {
        blobSettings(env({ BACKUP_BLOB_READ_WRITE_TOKEN: secretish }));
      } catch (error) {
        return error as Error;
      }
    })();
    expect(refused?.message).toMatch(/read-write token/);
    expect(refused!.message).not.toContain(secretish);
    for (const prefix of ["../up", "a/../b", "a b"])
      expect(() => blobSettings(env({ BACKUP_BLOB_READ_WRITE_TOKEN: TOKEN, BACKUP_BLOB_PREFIX: prefix }))).toThrow(
        /BACKUP_BLOB_PREFIX/,
      );
  });

  it("records the store and folder, never the token", () => {
    const destination = configuredBlob(
      env({ BACKUP_BLOB_READ_WRITE_TOKEN: TOKEN, BACKUP_BLOB_PREFIX: "/platform/main/" }),
    );
    expect(destination!.record).toEqual({ name: "blob", kind: "blob", location: "blob://store123/platform/main" });
    expect(configuredBlob(env({ BACKUP_BLOB_READ_WRITE_TOKEN: TOKEN }))!.record.location).toBe(
      "blob://store123/backups",
    );
    expect(JSON.stringify(destination!.record)).not.toContain("secret");
  });

  it("reads a blob:// address only with its store's token", () => {
    const source = env({ BACKUP_BLOB_READ_WRITE_TOKEN: TOKEN });
    const parsed = parseBlobAddress("blob://store123/platform/main/0b9d-id/manifest.json", source);
    expect(parsed.backupId).toBe("0b9d-id");
    expect(parsed.destination.record.location).toBe("blob://store123/platform/main");
    expect(() => parseBlobAddress("blob://otherstore/backups/id/manifest.json", source)).toThrow(
      /BACKUP_BLOB_READ_WRITE_TOKEN/,
    );
    expect(() => parseBlobAddress("blob://store123/id/manifest.json", source)).toThrow(/names no folder/);
    expect(() => parseBlobAddress("s3://b/p/id/manifest.json", source)).toThrow(/is not blob:/);
  });
});

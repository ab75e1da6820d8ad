/**
 * An S3-compatible bucket as a backup destination (AWS S3, or any server that speaks the protocol:
 * MinIO, R2, s3rver in the tests), through the official AWS SDK. Configured by the environment:
 * - `BACKUP_S3_BUCKET` (turns it on) and `BACKUP_S3_PREFIX` (a folder in it, optional);
 * - `BACKUP_S3_ENDPOINT` for a server other than AWS (with `BACKUP_S3_FORCE_PATH_STYLE=1` when it
 *   needs `<endpoint>/<bucket>/<key>` addresses), `BACKUP_S3_REGION` (default us-east-1);
 * - `BACKUP_S3_ACCESS_KEY_ID` / `BACKUP_S3_SECRET_ACCESS_KEY`, else the SDK's default chain;
 * - `BACKUP_S3_KEEP_COUNT` / `BACKUP_S3_KEEP_DAYS`: its own retention (default: the folder's).
 * Objects are `<prefix>/<backup id>/<file>`; the parts are already encrypted (BACKUP_KEY), so the
 * bucket never holds anything readable. A backup row records `s3://<bucket>/<prefix>` (and the
 * endpoint's origin), never a credential.
 *
 * The SDK is imported on first use, so a process without a bucket never loads it.
 *
 * Decision: the SDK makes its own connections rather than going through `outboundFetch`: the
 * endpoint is the operator's configuration (like SMTP), not an address any user input chooses.
 */
import type { S3Client } from "@aws-sdk/client-s3";
import type { BackupDestinationRecord } from "@/db/schema/backups";
import { NotConfiguredError } from "@/errors";
import { parseBackupAddress, type BackupDestination } from "./destination";

export interface S3Settings {
  bucket: string;
  prefix: string;
  endpoint: string | undefined;
  region: string;
  forcePathStyle: boolean;
  credentials: { accessKeyId: string; secretAccessKey: string } | undefined;
}

export function s3Settings(source: NodeJS.ProcessEnv = process.env): S3Settings | undefined {
  const bucket = source.BACKUP_S3_BUCKET?.trim();
  if (!bucket) return undefined;
  const accessKeyId = source.BACKUP_S3_ACCESS_KEY_ID?.trim();
  const secretAccessKey = source.BACKUP_S3_SECRET_ACCESS_KEY?.trim();
  if (Boolean(accessKeyId) !== Boolean(secretAccessKey))
    throw new NotConfiguredError("Set both BACKUP_S3_ACCESS_KEY_ID and BACKUP_S3_SECRET_ACCESS_KEY, or neither.");
  const endpoint = source.BACKUP_S3_ENDPOINT?.trim() || undefined;
  if (endpoint && !/^https?:\/\/[^/]+/.test(endpoint))
    throw new NotConfiguredError("BACKUP_S3_ENDPOINT must be an http(s) origin, e.g. https://s3.example.com.");
  return {
    bucket,
    prefix: (source.BACKUP_S3_PREFIX?.trim() ?? "").replace(/^\/+|\/+$/g, ""),
    endpoint,
    region: source.BACKUP_S3_REGION?.trim() || "us-east-1",
    forcePathStyle: source.BACKUP_S3_FORCE_PATH_STYLE?.trim() === "1",
    credentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined,
  };
}

function locationOf(settings: S3Settings): string {
  const where = `s3://${settings.bucket}${settings.prefix ? `/${settings.prefix}` : ""}`;
  return settings.endpoint ? `${where} at ${new URL(settings.endpoint).origin}` : where;
}

const sdk = () => import("@aws-sdk/client-s3");
const clients = new Map<string, Promise<S3Client>>();

function clientFor(settings: S3Settings): Promise<S3Client> {
  const key = JSON.stringify([settings.endpoint, settings.region, settings.forcePathStyle, settings.credentials]);
  let client = clients.get(key);
  if (!client) {
    client = sdk().then(
      ({ S3Client: Client }) =>
        new Client({
          region: settings.region,
          endpoint: settings.endpoint,
          forcePathStyle: settings.forcePathStyle,
          credentials: settings.credentials,
        }),
    );
    clients.set(key, client);
  }
  return client;
}

export class S3Destination implements BackupDestination {
  readonly record: BackupDestinationRecord;

  constructor(private readonly settings: S3Settings) {
    this.record = { name: "s3", kind: "s3", location: locationOf(settings) };
  }

  private key(backupId: string, file = ""): string {
    if (!/^[A-Za-z0-9_.-]+$/.test(backupId) || (file !== "" && !/^[A-Za-z0-9_.-]+$/.test(file)))
      throw new Error("unsafe backup object name");
    return `${this.settings.prefix ? `${this.settings.prefix}/` : ""}${backupId}/${file}`;
  }

  async put(backupId: string, file: string, data: Buffer): Promise<void> {
    const [client, { PutObjectCommand }] = await Promise.all([clientFor(this.settings), sdk()]);
    await client.send(
      new PutObjectCommand({ Bucket: this.settings.bucket, Key: this.key(backupId, file), Body: data }),
    );
  }

  async get(backupId: string, file: string): Promise<Buffer> {
    const [client, { GetObjectCommand }] = await Promise.all([clientFor(this.settings), sdk()]);
    const answer = await client.send(
      new GetObjectCommand({ Bucket: this.settings.bucket, Key: this.key(backupId, file) }),
    );
    if (!answer.Body) throw new Error(`${this.record.location}: ${backupId}/${file} has no body`);
    return Buffer.from(await answer.Body.transformToByteArray());
  }

  /** Every object under the backup's folder, listed page by page and deleted 1,000 at a time. */
  async remove(backupId: string): Promise<void> {
    const prefix = this.key(backupId);
    const [client, { DeleteObjectsCommand, ListObjectsV2Command }] = await Promise.all([
      clientFor(this.settings),
      sdk(),
    ]);
    let token: string | undefined;
    do {
      const page = await client.send(
        new ListObjectsV2Command({ Bucket: this.settings.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      const keys = (page.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
      if (keys.length > 0)
        await client.send(new DeleteObjectsCommand({ Bucket: this.settings.bucket, Delete: { Objects: keys } }));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  /** The backup folders present (tests, operators). */
  async list(): Promise<string[]> {
    const [client, { ListObjectsV2Command }] = await Promise.all([clientFor(this.settings), sdk()]);
    const page = await client.send(
      new ListObjectsV2Command({
        Bucket: this.settings.bucket,
        Prefix: this.settings.prefix ? `${this.settings.prefix}/` : undefined,
        Delimiter: "/",
      }),
    );
    return (page.CommonPrefixes ?? []).flatMap((p) =>
      p.Prefix ? [p.Prefix.replace(/\/$/, "").split("/").at(-1)!] : [],
    );
  }
}

/** The configured bucket, or undefined when BACKUP_S3_BUCKET is not set. */
export function configuredS3(source: NodeJS.ProcessEnv = process.env): S3Destination | undefined {
  const settings = s3Settings(source);
  return settings ? new S3Destination(settings) : undefined;
}

/**
 * A backup in the configured bucket, from an `s3://<bucket>/<prefix>/<backup id>/manifest.json`
 * address (the restore's command line): the bucket must be the configured one.
 */
export function parseS3Address(address: string, source: NodeJS.ProcessEnv = process.env) {
  const { host: bucket, prefix, backupId } = parseBackupAddress("s3", address, "bucket");
  const settings = s3Settings(source);
  if (!settings || settings.bucket !== bucket)
    throw new NotConfiguredError(
      `Set BACKUP_S3_BUCKET=${bucket} (and its endpoint and credentials) to read this backup.`,
    );
  return { destination: new S3Destination({ ...settings, prefix: prefix ?? "" }), backupId };
}

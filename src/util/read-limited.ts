/**
 * Reads a request's or a fetched response's body as text, stopping as soon as it passes
 * `limit` bytes: a huge body costs at most `limit` bytes of memory, whatever Content-Length
 * claims. Returns null when the body is over the limit.
 */
export async function readLimitedText(
  source: Pick<Request, "headers" | "body">,
  limit: number,
): Promise<string | null> {
  const declared = Number(source.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > limit) return null;
  if (!source.body) return "";
  const reader = source.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

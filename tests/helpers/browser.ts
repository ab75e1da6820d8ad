/**
 * The browser of the e2e tests (playwright-core): Debian's Chromium when the machine has one
 * (/usr/bin/chromium), otherwise the headless Chromium that `@sparticuz/chromium` ships inside
 * its npm package, so a fresh clone needs nothing but `npm install`. `TEST_BROWSER=system` or
 * `TEST_BROWSER=bundled` forces one (README, Tests).
 *
 * The bundled one is unpacked once per package version into its own folder under the system's
 * temporary directory, by a child process writing to a private folder that is then renamed into
 * place: two test workers unpacking at once, or a run killed mid-way, never leave a half-written
 * browser for the next one to launch. It needs nothing from the system but glibc: the package's
 * own NSS, NSPR and expat libraries and its fonts are unpacked beside it.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";
import { chromium, type Browser } from "playwright-core";

const SYSTEM_CHROMIUM = "/usr/bin/chromium";
const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/**
 * Ours, for either browser: this machine's network is closed, and without the background-network
 * flags Chromium keeps trying to reach Google's hosts.
 */
const OUR_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * Flags of the package's recommended set left out. Two switch off the same-origin policy and
 * mixed-content blocking, and these tests are the proof that the pages work in a client's browser;
 * `--single-process` (needed on AWS Lambda only) makes the whole browser exit when a test closes
 * one of its contexts.
 */
const REFUSED_BUNDLED_ARGS = new Set([
  "--disable-web-security",
  "--allow-running-insecure-content",
  "--single-process",
]);

export type BrowserKind = "system" | "bundled";

function chosenKind(): BrowserKind {
  const forced = process.env.TEST_BROWSER;
  if (forced === "system" || forced === "bundled") return forced;
  if (forced) throw new Error(`TEST_BROWSER must be "system" or "bundled", not "${forced}"`);
  return existsSync(SYSTEM_CHROMIUM) ? "system" : "bundled";
}

export async function launchBrowser(): Promise<Browser> {
  const kind = chosenKind();
  if (kind === "system") {
    if (!existsSync(SYSTEM_CHROMIUM))
      throw new Error(`TEST_BROWSER=system, but there is no Chromium at ${SYSTEM_CHROMIUM}`);
    return chromium.launch({ executablePath: SYSTEM_CHROMIUM, args: OUR_ARGS });
  }
  const bundled = await unpackBundled();
  return chromium.launch({
    executablePath: path.join(bundled.dir, "chromium"),
    args: [...bundled.args.filter((arg) => !REFUSED_BUNDLED_ARGS.has(arg)), ...OUR_ARGS],
    env: {
      ...process.env,
      LD_LIBRARY_PATH: [path.join(bundled.dir, "al2023", "lib"), process.env.LD_LIBRARY_PATH].filter(Boolean).join(":"),
      FONTCONFIG_PATH: bundled.dir,
    },
  });
}

interface Bundled {
  dir: string;
  args: string[];
}

async function unpackBundled(): Promise<Bundled> {
  const require = createRequire(import.meta.url);
  const packageDir = path.resolve(path.dirname(require.resolve("@sparticuz/chromium")), "../..");
  const { version } = JSON.parse(readFileSync(path.join(packageDir, "package.json"), "utf8")) as { version: string };
  const { default: sparticuz } = await import("@sparticuz/chromium");
  const dir = path.join(tmpdir(), `orchestrator-chromium-${version}`);
  if (!existsSync(path.join(dir, "chromium"))) {
    const partial = mkdtempSync(`${dir}.partial-`);
    try {
      // The package unpacks into os.tmpdir() (TMPDIR), and adds its NSS libraries (al2023.tar.br)
      // only where it believes it runs on Amazon Linux 2023, which this variable tells it.
      await promisify(execFile)(
        process.execPath,
        [
          "--input-type=module",
          "-e",
          'const { default: c } = await import("@sparticuz/chromium"); await c.executablePath();',
        ],
        { cwd: ROOT, env: { ...process.env, TMPDIR: partial, AWS_LAMBDA_JS_RUNTIME: "nodejs22.x" }, timeout: 180_000 },
      );
      // The package's fonts.conf names /tmp/fonts; ours names the fonts unpacked here.
      writeFileSync(
        path.join(partial, "fonts.conf"),
        `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n` +
          `  <dir>${path.join(dir, "fonts")}</dir>\n  <dir>/usr/share/fonts</dir>\n` +
          `  <cachedir>${path.join(dir, "fonts-cache")}</cachedir>\n</fontconfig>\n`,
      );
      renameSync(partial, dir);
    } catch (error) {
      rmSync(partial, { recursive: true, force: true });
      // Another worker finished first: its copy is complete, since it arrived by rename.
      if (!existsSync(path.join(dir, "chromium"))) throw error;
    }
  }
  return { dir, args: sparticuz.args };
}

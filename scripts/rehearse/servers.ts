/**
 * The "function instances": `next start` processes of the production build, each on its own port
 * (a slot), started with the production environment and no resident worker. A killed slot is
 * started again on the same port, as a platform replaces a dead instance. Every start records its
 * cold start: process start to the first 200 of its own /api/health.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { appendFileSync } from "node:fs";
import path from "node:path";
import { killGroup, track } from "./children";
import { freeStablePort, say, sleep } from "./util";

export interface ColdStart {
  slot: number;
  /** Process start to the first 200 of /api/health. */
  ms: number;
  /** Process start to its first HTTP answer of any kind (listening). */
  firstAnswerMs: number | null;
}

export interface ServerSlot {
  index: number;
  port: number;
  /** Increments at every start: a request tells which process it went to. */
  generation: number;
  child: ChildProcess | null;
  healthy: boolean;
  /** The generation a kill was sent to (set before the signal, so a reset it causes is never taken for a live server's). */
  killedGeneration: number;
  logFile: string;
}

const MAX_ERROR_LINES = 200;

class PortTaken extends Error {}

export class ServerPool {
  readonly slots: ServerSlot[];
  readonly coldStarts: ColdStart[] = [];
  /** Error-level log lines of every server (bounded), for the report. */
  readonly errorLines: string[] = [];
  kills = 0;
  private stopping = false;

  constructor(
    private readonly root: string,
    ports: number[],
    private readonly env: NodeJS.ProcessEnv,
    logDir: string,
    private readonly verbose: boolean,
    private readonly label = "server",
  ) {
    this.slots = ports.map((port, index) => ({
      index,
      port,
      generation: 0,
      child: null,
      healthy: false,
      killedGeneration: 0,
      logFile: path.join(logDir, `${label}-${index}.log`),
    }));
  }

  /** Whether the process that served `generation` of this port is still the live one. */
  isLive(port: number, generation: number): boolean {
    const slot = this.slots.find((s) => s.port === port);
    return Boolean(
      slot &&
        slot.generation === generation &&
        slot.killedGeneration !== generation &&
        slot.child &&
        slot.child.exitCode === null &&
        slot.child.signalCode === null,
    );
  }

  generationOf(port: number): number {
    return this.slots.find((s) => s.port === port)?.generation ?? -1;
  }

  async startAll(): Promise<void> {
    await Promise.all(this.slots.map((slot) => this.start(slot)));
  }

  /**
   * Starts the slot's process and waits for its first healthy answer (its cold start). A port
   * taken meanwhile by another program (EADDRINUSE) moves the slot to a new free port.
   */
  async start(slot: ServerSlot, timeoutMs = 60_000): Promise<number> {
    for (let tries = 1; ; tries++) {
      try {
        return await this.startOnce(slot, timeoutMs);
      } catch (error) {
        if (!(error instanceof PortTaken) || tries >= 3) throw error;
        const port = await freeStablePort();
        say(`${this.label} ${slot.index}: port ${slot.port} taken by another program, moving to ${port}`);
        slot.port = port;
      }
    }
  }

  private async startOnce(slot: ServerSlot, timeoutMs: number): Promise<number> {
    slot.generation += 1;
    slot.healthy = false;
    const generation = slot.generation;
    const started = performance.now();
    const nextBin = path.join(this.root, "node_modules", "next", "dist", "bin", "next");
    const child = spawn(process.execPath, [nextBin, "start", "-p", String(slot.port), "-H", "127.0.0.1"], {
      cwd: this.root,
      env: this.env,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    track(child);
    slot.child = child;
    appendFileSync(
      slot.logFile,
      `--- ${this.label} ${slot.index} generation ${generation} (pid ${child.pid}) started ${new Date().toISOString()}\n`,
    );
    let portTaken = false;
    const onData = (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      if (text.includes("EADDRINUSE")) portTaken = true;
      appendFileSync(slot.logFile, text);
      for (const line of text.split("\n")) {
        if (!line.trim()) continue;
        if (this.verbose) console.log(`  ${this.label}${slot.index}.${generation} | ${line}`);
        const isError = line.startsWith("{") ? line.includes('"level":"error"') : /\bError\b|⨯/.test(line);
        if (isError && this.errorLines.length < MAX_ERROR_LINES)
          this.errorLines.push(`${this.label}${slot.index}.${generation}: ${line.slice(0, 2_000)}`);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    const deadline = Date.now() + timeoutMs;
    let firstAnswerMs: number | null = null;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        if (this.stopping || slot.generation !== generation) return -1;
        if (portTaken) throw new PortTaken();
        throw new Error(
          `${this.label} ${slot.index} exited (${child.exitCode ?? child.signalCode}) before it was healthy; see ${slot.logFile}`,
        );
      }
      try {
        const res = await fetch(`http://127.0.0.1:${slot.port}/api/health`, { signal: AbortSignal.timeout(2_000) });
        firstAnswerMs ??= Math.round(performance.now() - started);
        await res.arrayBuffer();
        if (res.status === 200) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline)
        throw new Error(`${this.label} ${slot.index} was not healthy after ${timeoutMs / 1000} s; see ${slot.logFile}`);
      await sleep(25);
    }
    const ms = Math.round(performance.now() - started);
    if (slot.generation === generation) slot.healthy = true;
    this.coldStarts.push({ slot: slot.index, ms, firstAnswerMs });
    return ms;
  }

  /** SIGKILL: nothing gets to finish, as when a platform reclaims an instance. */
  async kill(slot: ServerSlot): Promise<void> {
    const child = slot.child;
    slot.healthy = false;
    if (!child) return;
    const exited = new Promise<void>((resolve) =>
      child.exitCode !== null || child.signalCode !== null ? resolve() : child.once("exit", () => resolve()),
    );
    slot.killedGeneration = slot.generation;
    killGroup(child, "SIGKILL");
    await exited;
    this.kills += 1;
    say(`chaos: SIGKILL ${this.label} ${slot.index} (pid ${child.pid}, generation ${slot.generation})`);
  }

  async stopAll(): Promise<void> {
    this.stopping = true;
    await Promise.all(
      this.slots.map(async (slot) => {
        const child = slot.child;
        if (!child || child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
        killGroup(child, "SIGKILL");
        await exited;
      }),
    );
  }
}

// One Drizzle schema for every driver, split by context. Each context adds its file here.
export * from "./auth";
export * from "./engine";
export * from "./agents";
export * from "./agent-cache";
export * from "./gateway-tuning";
export * from "./sites";
export * from "./projects";
export * from "./observability";
export * from "./orders";
export * from "./event-bus";
export * from "./retention";
export * from "./backups";

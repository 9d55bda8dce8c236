// The extension's settings as read from VS Code, and what of them the server receives.

/** Reads one setting; `vscode.WorkspaceConfiguration.get` fits this shape. */
export interface SettingsReader {
  get<T>(section: string): T | undefined;
}

export type TraceLevel = "off" | "messages" | "verbose";

/** Every `agentsense.*` setting, with defaults applied and bad values replaced. */
export interface ExtensionSettings {
  readonly enable: boolean;
  readonly interpreter: readonly string[];
  readonly path: readonly string[];
  readonly select: readonly string[];
  readonly ignore: readonly string[];
  readonly runToolTimeoutSeconds: number;
  readonly runToolAllowNetwork: boolean;
  readonly runToolAllowUnixSockets: boolean;
  readonly runToolPassSecrets: boolean;
  readonly trace: TraceLevel;
}

export const DEFAULT_TIMEOUT_SECONDS = 10;

function stringList(value: unknown): string[] {
  if (typeof value === "string") {
    return value.trim() ? [value.trim()] : [];
  }
  if (!Array.isArray(value)) {
    return [];
  }
  return value.filter((item): item is string => typeof item === "string" && item.trim() !== "");
}

/** Rule codes as the server expects them: trimmed, upper-case, no duplicates, order kept. */
function ruleCodes(value: unknown): string[] {
  const seen = new Set<string>();
  for (const code of stringList(value)) {
    seen.add(code.trim().toUpperCase());
  }
  return [...seen];
}

export function readSettings(config: SettingsReader): ExtensionSettings {
  const timeout = config.get<unknown>("runTool.timeoutSeconds");
  const trace = config.get<unknown>("trace.server");
  return {
    enable: config.get<unknown>("enable") !== false,
    interpreter: stringList(config.get<unknown>("interpreter")),
    path: stringList(config.get<unknown>("path")),
    select: ruleCodes(config.get<unknown>("lint.select")),
    ignore: ruleCodes(config.get<unknown>("lint.ignore")),
    runToolTimeoutSeconds:
      typeof timeout === "number" && Number.isFinite(timeout) && timeout > 0
        ? Math.min(timeout, 600)
        : DEFAULT_TIMEOUT_SECONDS,
    runToolAllowNetwork: config.get<unknown>("runTool.allowNetwork") === true,
    runToolAllowUnixSockets: config.get<unknown>("runTool.allowUnixSockets") === true,
    runToolPassSecrets: config.get<unknown>("runTool.passSecrets") === true,
    trace: trace === "messages" || trace === "verbose" ? trace : "off",
  };
}

/** What the server receives as `initializationOptions` and in
 *  `workspace/didChangeConfiguration` (`{settings: ...}`). Empty `select` means "the project's
 *  configuration decides", so it is sent as null rather than as "select nothing". */
export interface ServerSettings {
  readonly select: string[] | null;
  readonly ignore: string[];
  readonly runToolTimeout: number;
  readonly allowNetwork: boolean;
  readonly allowUnixSockets: boolean;
  readonly runToolPassSecrets: boolean;
  /** False in an untrusted workspace: the server must refuse to run tools. */
  readonly trusted: boolean;
}

export function toServerSettings(settings: ExtensionSettings, trusted: boolean): ServerSettings {
  return {
    select: settings.select.length > 0 ? [...settings.select] : null,
    ignore: [...settings.ignore],
    runToolTimeout: settings.runToolTimeoutSeconds,
    allowNetwork: settings.runToolAllowNetwork,
    allowUnixSockets: settings.runToolAllowUnixSockets,
    runToolPassSecrets: settings.runToolPassSecrets,
    trusted,
  };
}

/** Which settings changes need a new server process rather than a configuration update. */
export const RESTART_SETTINGS = ["agentsense.enable", "agentsense.interpreter", "agentsense.path"];

/** Which settings changes are sent to the running server. */
export const UPDATE_SETTINGS = ["agentsense.lint", "agentsense.runTool"];

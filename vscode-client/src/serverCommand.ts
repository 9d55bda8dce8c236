// How the server is started: interpreter discovery order and the command line, without vscode.
//
// The order follows Microsoft's vscode-python-tools-extension-template: an explicit server
// command (`agentsense.path`), else the `agentsense.interpreter` setting, else the Python
// extension's active environment when that extension is installed, else `python3` on PATH.

/** Runs the agentsense console script's entry point from an interpreter (`-c` rather than
 *  `-m`, so nothing runs as `__main__`). The working directory is dropped from sys.path first so that a workspace
 *  folder holding its own `agentsense` module cannot shadow the installed package. */
export const CLI_BOOTSTRAP =
  "import sys; sys.path[:] = [p for p in sys.path if p not in ('', '.')]; " +
  "from agentsense.server.entry import main; sys.exit(main())";

export type CommandSource = "path" | "interpreter" | "python-extension" | "PATH";

export interface ServerCommand {
  /** The executable. */
  readonly command: string;
  /** Its arguments, without the `--stdio` that vscode-languageclient appends. */
  readonly args: readonly string[];
  /** Which setting or fallback produced it. */
  readonly source: CommandSource;
  /** The Python interpreter, when the server runs from one (not for `agentsense.path`). */
  readonly python: readonly string[] | undefined;
}

export interface DiscoveryInputs {
  /** `agentsense.path`, after variable substitution. */
  readonly path: readonly string[];
  /** `agentsense.interpreter`, after variable substitution. */
  readonly interpreter: readonly string[];
  /** The Python extension's active environment, or undefined when it is absent or has none. */
  readonly pythonExtension: readonly string[] | undefined;
  /** The fallback interpreter name (python3; `python` on Windows). */
  readonly defaultPython: string;
}

function nonEmpty(parts: readonly string[] | undefined): readonly string[] | undefined {
  const kept = (parts ?? []).filter((part) => part.trim() !== "");
  return kept.length > 0 ? kept : undefined;
}

/** The interpreter to use and where it came from, or undefined when `agentsense.path` wins. */
export function discoverInterpreter(
  inputs: DiscoveryInputs,
): { python: readonly string[]; source: Exclude<CommandSource, "path"> } {
  const fromSetting = nonEmpty(inputs.interpreter);
  if (fromSetting) {
    return { python: fromSetting, source: "interpreter" };
  }
  const fromExtension = nonEmpty(inputs.pythonExtension);
  if (fromExtension) {
    return { python: fromExtension, source: "python-extension" };
  }
  return { python: [inputs.defaultPython], source: "PATH" };
}

/** The full server command line, discovery order applied. */
export function resolveServerCommand(inputs: DiscoveryInputs): ServerCommand {
  const explicit = nonEmpty(inputs.path);
  if (explicit) {
    const [command, ...args] = explicit as [string, ...string[]];
    return { command, args, source: "path", python: undefined };
  }
  const { python, source } = discoverInterpreter(inputs);
  const [command, ...prefix] = python as [string, ...string[]];
  return { command, args: [...prefix, "-c", CLI_BOOTSTRAP, "server"], source, python };
}

/** The same command asking for `--version` instead of `server`: a cheap check that it runs. */
export function versionProbe(server: ServerCommand): { command: string; args: string[] } {
  const args = [...server.args];
  if (server.source !== "path") {
    args[args.length - 1] = "--version";
    return { command: server.command, args };
  }
  // `agentsense.path` is usually `[".../agentsense", "server"]`: probe the CLI itself.
  if (args[args.length - 1] === "server") {
    args[args.length - 1] = "--version";
  } else {
    args.push("--version");
  }
  return { command: server.command, args };
}

/** Quote one argument for a POSIX shell (or cmd on Windows) so the user can paste it. */
export function shellQuote(arg: string, platform: NodeJS.Platform = process.platform): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) {
    return arg;
  }
  if (platform === "win32") {
    return `"${arg.replace(/"/g, '""')}"`;
  }
  return `'${arg.replace(/'/g, "'\\''")}'`;
}

/** The command the user should run to install agentsense, and the sentence around it. */
export function installAdvice(
  server: ServerCommand,
  platform: NodeJS.Platform = process.platform,
): { command: string; message: string } {
  if (server.source === "path" || server.python === undefined) {
    const shown = [server.command, ...server.args].map((a) => shellQuote(a, platform)).join(" ");
    return {
      command: shown,
      message:
        `agentsense: the server command from the "agentsense.path" setting does not start (${shown} --stdio). ` +
        "Check the setting, or clear it to use a Python interpreter with agentsense installed.",
    };
  }
  const python = server.python.map((a) => shellQuote(a, platform)).join(" ");
  const command = `${python} -m pip install agentsense`;
  const where =
    server.source === "interpreter"
      ? 'the interpreter from the "agentsense.interpreter" setting'
      : server.source === "python-extension"
        ? "the Python extension's selected interpreter"
        : `${server.python[0] ?? "python3"} on PATH`;
  return {
    command,
    message: `agentsense is not installed in ${where} (${python}). Run: ${command}`,
  };
}

/** A path-like setting entry made absolute: variables substituted, and a relative path with a
 *  directory part (`.venv/bin/python`) taken from the workspace folder; a bare name
 *  (`python3`) is left for PATH lookup. */
export function resolvePathSetting(
  value: string,
  context: SubstitutionContext,
  isAbsolute: (path: string) => boolean,
  join: (...parts: string[]) => string,
): string {
  const substituted = substituteVariables(value, context);
  const hasDirectory = substituted.includes("/") || substituted.includes("\\");
  if (hasDirectory && !isAbsolute(substituted) && context.workspaceFolder !== undefined) {
    return join(context.workspaceFolder, substituted);
  }
  return substituted;
}

export interface SubstitutionContext {
  readonly workspaceFolder: string | undefined;
  readonly userHome: string;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** Substitute `${workspaceFolder}`, `${userHome}`, `${env:NAME}` and a leading `~` as VS Code
 *  users expect in path settings. Unknown variables are left as written. */
export function substituteVariables(
  value: string,
  context: SubstitutionContext,
): string {
  let result = value.replace(/\$\{(workspaceFolder|userHome|env:([A-Za-z_][A-Za-z0-9_]*))\}/g, (all, name: string, envName: string | undefined) => {
    if (name === "userHome") {
      return context.userHome;
    }
    if (name === "workspaceFolder") {
      return context.workspaceFolder ?? all;
    }
    return envName !== undefined ? (context.env[envName] ?? "") : all;
  });
  if (result === "~" || result.startsWith("~/")) {
    result = context.userHome + result.slice(1);
  }
  return result;
}

/** The bundled agentsense wheel among the names of the extension's `bundled/` folder (the newest
 *  version when several), or undefined. */
export function bundledWheelName(names: readonly string[]): string | undefined {
  const wheels = names.filter((name) => /^agentsense-[^-]+-py3-none-any\.whl$/.test(name));
  const version = (name: string): number[] =>
    (name.split("-")[1] ?? "").split(".").map((part) => Number.parseInt(part, 10) || 0);
  return [...wheels].sort((a, b) => {
    const [x, y] = [version(a), version(b)];
    for (let i = 0; i < Math.max(x.length, y.length); i++) {
      if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
    }
    return 0;
  }).pop();
}

/** The command that installs the bundled wheel into the server's interpreter (its dependencies
 *  come from that interpreter's configured package index). */
export function wheelInstallCommand(python: readonly string[], wheel: string): { command: string; args: string[] } {
  const [command = "python3", ...rest] = python;
  return { command, args: [...rest, "-m", "pip", "install", "--disable-pip-version-check", wheel] };
}

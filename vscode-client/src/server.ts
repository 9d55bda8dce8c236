// Starts, restarts and stops the agentsense language server, and keeps it told about settings
// and workspace trust.

import { execFile, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import * as vscode from "vscode";
import {
  CloseAction,
  DidChangeConfigurationNotification,
  ErrorAction,
  LanguageClient,
  RevealOutputChannelOn,
  State,
  TransportKind,
  type LanguageClientOptions,
  type ServerOptions,
} from "vscode-languageclient/node";

import { pythonExtensionInterpreter } from "./python";
import type { ToolRunner } from "./runTool";
import {
  bundledWheelName,
  installAdvice,
  resolvePathSetting,
  resolveServerCommand,
  shellQuote,
  versionProbe,
  wheelInstallCommand,
  type ServerCommand,
} from "./serverCommand";
import { readSettings, toServerSettings, type ServerSettings } from "./settings";
import type { StatusItem } from "./status";
import { RUN_TOOL_COMMAND } from "./toolRun";

const CLIENT_ID = "agentsense";
const PROBE_TIMEOUT_MS = 20_000;
/** Crashes of a running server tolerated (restarted) within CRASH_WINDOW_MS. */
const MAX_CRASH_RESTARTS = 4;
const CRASH_WINDOW_MS = 3 * 60_000;

function firstFolder(): vscode.WorkspaceFolder | undefined {
  return vscode.workspace.workspaceFolders?.[0];
}

function configuration(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration(CLIENT_ID, firstFolder()?.uri);
}

/** Runs the command with `--version`; resolves with an error text, or undefined when it ran. */
function probe(server: ServerCommand, cwd: string | undefined): Promise<string | undefined> {
  const { command, args } = versionProbe(server);
  return new Promise((resolve) => {
    execFile(command, args, { timeout: PROBE_TIMEOUT_MS, cwd, windowsHide: true }, (error, stdout, stderr) => {
      if (!error) {
        resolve(undefined);
        return;
      }
      const details = [String(stderr).trim(), String(stdout).trim()].filter(Boolean).join("\n");
      resolve(`${error.message}${details ? `\n${details}` : ""}`);
    });
  });
}

export class ServerManager implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private command: ServerCommand | undefined;
  /** Restarts run one after another: a settings change during a start waits for it. */
  private queue: Promise<void> = Promise.resolve();
  private stopping = false;
  private ownRunToolCommand: vscode.Disposable | undefined;

  constructor(
    private readonly output: vscode.LogOutputChannel,
    private readonly status: StatusItem,
    private readonly runner: ToolRunner,
    /** The extension's folder: its `bundled/` holds the agentsense wheel the .vsix ships. */
    private readonly extensionPath: string,
  ) {}

  /** The path of the agentsense wheel shipped inside the extension, if any. */
  bundledWheel(): string | undefined {
    const folder = path.join(this.extensionPath, "bundled");
    let names: string[] = [];
    try {
      names = fs.readdirSync(folder);
    } catch {
      return undefined;
    }
    const name = bundledWheelName(names);
    return name ? path.join(folder, name) : undefined;
  }

  get running(): LanguageClient | undefined {
    return this.client?.state === State.Running ? this.client : undefined;
  }

  /** (Re)starts the server with the current settings; queued behind any restart under way. */
  restart(reason: string): Promise<void> {
    this.queue = this.queue.then(
      () => this.doRestart(reason),
      () => this.doRestart(reason),
    );
    return this.queue;
  }

  /** The settings the server gets, for the current trust state. */
  serverSettings(): ServerSettings {
    return toServerSettings(readSettings(configuration()), vscode.workspace.isTrusted);
  }

  /** Sends changed lint / run-tool settings or trust to the running server. */
  async updateSettings(): Promise<void> {
    const client = this.running;
    if (!client) {
      return;
    }
    const settings = this.serverSettings();
    this.output.info(`Sending settings to the server: ${JSON.stringify(settings)}`);
    await client.sendNotification(DidChangeConfigurationNotification.type, { settings });
  }

  async resolveCommand(): Promise<ServerCommand> {
    const settings = readSettings(configuration());
    const folder = firstFolder()?.uri.fsPath;
    const context = { workspaceFolder: folder, userHome: os.homedir(), env: process.env };
    const resolve = (value: string): string =>
      resolvePathSetting(value, context, path.isAbsolute, path.join);
    const interpreter = settings.interpreter.map(resolve);
    const explicit = settings.path.map(resolve);
    const needsPythonExtension = explicit.length === 0 && interpreter.length === 0;
    return resolveServerCommand({
      path: explicit,
      interpreter,
      pythonExtension: needsPythonExtension
        ? await pythonExtensionInterpreter(firstFolder()?.uri, (m) => this.output.warn(m))
        : undefined,
      defaultPython: process.platform === "win32" ? "python" : "python3",
    });
  }

  /** Whether the server runs from the Python extension's interpreter (so a change there
   *  means a restart). */
  get usesPythonExtension(): boolean {
    return this.command?.source === "python-extension";
  }

  private async doRestart(reason: string): Promise<void> {
    await this.stop();
    const settings = readSettings(configuration());
    if (!settings.enable) {
      this.output.info(`agentsense.enable is false: the server is not started (${reason}).`);
      this.status.set("disabled", "agentsense.enable is false");
      return;
    }
    this.status.set("starting");
    const command = await this.resolveCommand();
    this.command = command;
    const shown = [command.command, ...command.args].map((a) => shellQuote(a)).join(" ");
    this.output.info(`Starting the server (${reason}), interpreter from ${command.source}: ${shown} --stdio`);
    const cwd = firstFolder()?.uri.fsPath;
    const failure = await probe(command, cwd);
    if (failure !== undefined) {
      this.cannotStart(command, failure);
      return;
    }
    const serverOptions: ServerOptions = {
      command: command.command,
      args: [...command.args],
      transport: TransportKind.stdio, // vscode-languageclient appends --stdio
      options: { cwd, env: { ...process.env, PYTHONUNBUFFERED: "1" } },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [
        { scheme: "file", language: "python" },
        { scheme: "untitled", language: "python" },
      ],
      outputChannel: this.output,
      traceOutputChannel: this.output,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      initializationOptions: this.serverSettings(),
      middleware: {
        executeCommand: async (name, args, next) => {
          if (name === RUN_TOOL_COMMAND) {
            return this.runner.run(args, (n, a) => Promise.resolve(next(n, a)));
          }
          return next(name, args);
        },
        workspace: {
          // A server that pulls `workspace/configuration` for "agentsense" gets the same
          // settings as initializationOptions.
          configuration: async (params, token, next) => {
            const result = await next(params, token);
            if (!Array.isArray(result)) {
              return result;
            }
            return params.items.map((item, index) =>
              item.section === CLIENT_ID ? this.serverSettings() : result[index],
            );
          },
        },
      },
      initializationFailedHandler: (error) => {
        this.output.error(`The server failed to initialize: ${String(error)}`);
        return false;
      },
    };
    let everRunning = false;
    const crashes: number[] = [];
    clientOptions.errorHandler = {
      error: (_error, _message, count) => ({
        action: (count ?? 0) <= 3 ? ErrorAction.Continue : ErrorAction.Shutdown,
        handled: true,
      }),
      closed: () => {
        if (!everRunning) {
          // Exited while starting: restarting would fail the same way. start() rejects and
          // says so once, instead of five crash notifications.
          return { action: CloseAction.DoNotRestart, handled: true };
        }
        const now = Date.now();
        crashes.push(now);
        while (crashes.length > 0 && (crashes[0] ?? now) < now - CRASH_WINDOW_MS) {
          crashes.shift();
        }
        if (crashes.length <= MAX_CRASH_RESTARTS) {
          this.output.warn(`The server exited; restarting it (${crashes.length}/${MAX_CRASH_RESTARTS}).`);
          return { action: CloseAction.Restart, handled: true };
        }
        const message = `agentsense: the server crashed ${crashes.length} times in 3 minutes and is not restarted. See the output; "agentsense: Restart Server" starts it again.`;
        this.output.error(message);
        void this.notify(message, undefined);
        return { action: CloseAction.DoNotRestart, handled: true };
      },
    };
    const client = new LanguageClient(CLIENT_ID, "agentsense", serverOptions, clientOptions);
    client.onDidChangeState((event) => {
      if (client !== this.client) {
        return;
      }
      if (event.newState === State.Running) {
        everRunning = true;
        this.status.set("ready", `${command.source}: ${command.command}`);
      } else if (event.newState === State.Starting) {
        this.status.set("starting");
      } else if (event.newState === State.Stopped && !this.stopping) {
        this.status.set("error", "the server stopped; see the output");
      }
    });
    this.client = client;
    try {
      await client.start();
    } catch (error) {
      this.output.error(`The server did not start: ${String(error)}`);
      this.status.set("error", String(error));
      void this.notify(
        `agentsense: the server exited while starting (${command.source === "path" ? "agentsense.path" : command.command}). See the output for its error.`,
        undefined,
      );
      return;
    }
    this.status.set("ready", `${command.source}: ${command.command}`);
    await this.ensureRunToolCommand(client);
  }

  /** When the server does not list agentsense.runTool among its executeCommandProvider
   *  commands, vscode-languageclient registers no command for the lens: register one. */
  private async ensureRunToolCommand(client: LanguageClient): Promise<void> {
    const commands = await vscode.commands.getCommands(true);
    if (commands.includes(RUN_TOOL_COMMAND)) {
      return;
    }
    this.output.warn(`The server does not declare ${RUN_TOOL_COMMAND}; the client forwards it itself.`);
    this.ownRunToolCommand = vscode.commands.registerCommand(RUN_TOOL_COMMAND, (...args: unknown[]) =>
      this.runner.run(args, (command, commandArgs) =>
        client.sendRequest("workspace/executeCommand", { command, arguments: commandArgs }),
      ),
    );
  }

  private cannotStart(command: ServerCommand, failure: string): void {
    const advice = installAdvice(command);
    this.output.error(`The server cannot start: ${failure}`);
    this.output.error(advice.message);
    this.status.set("error", advice.message);
    const wheel = command.python && vscode.workspace.isTrusted ? this.bundledWheel() : undefined;
    void this.notify(advice.message, advice.command, wheel && command.python ? { python: command.python, wheel } : undefined);
  }

  private async notify(
    message: string,
    installCommand: string | undefined,
    bundled?: { python: readonly string[]; wheel: string },
  ): Promise<void> {
    const install = bundled ? `Install into ${bundled.python.join(" ")}` : undefined;
    const buttons = [
      ...(install ? [install] : []),
      "Show Output",
      ...(installCommand ? ["Copy Command"] : []),
    ];
    const choice = await vscode.window.showErrorMessage(message, ...buttons);
    if (choice === "Show Output") {
      this.output.show(true);
    } else if (choice === "Copy Command" && installCommand) {
      await vscode.env.clipboard.writeText(installCommand);
    } else if (choice !== undefined && choice === install && bundled) {
      await this.installBundled(bundled.python, bundled.wheel);
    }
  }

  /** Installs the wheel the extension ships into the interpreter (pip takes its dependencies
   *  from that interpreter's index), then starts the server. */
  private async installBundled(python: readonly string[], wheel: string): Promise<void> {
    const { command, args } = wheelInstallCommand(python, wheel);
    this.output.info(`Installing the bundled agentsense: ${[command, ...args].join(" ")}`);
    this.status.set("starting", "installing agentsense");
    const code = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: "agentsense: installing into the interpreter…" },
      () =>
        new Promise<number>((resolve) => {
          const child = spawn(command, args, { windowsHide: true });
          const log = (data: Buffer): void => {
            for (const line of data.toString("utf8").split(/\r?\n/)) {
              if (line.trim()) this.output.info(`pip: ${line}`);
            }
          };
          child.stdout.on("data", log);
          child.stderr.on("data", log);
          child.on("error", (error) => {
            this.output.error(`pip did not start: ${error.message}`);
            resolve(-1);
          });
          child.on("close", (status) => resolve(status ?? -1));
        }),
    );
    if (code !== 0) {
      const message = `agentsense: installing into ${python.join(" ")} failed (pip exited ${code}); see the output.`;
      this.output.error(message);
      this.status.set("error", message);
      void this.notify(message, undefined);
      return;
    }
    this.output.info("Installed; starting the server.");
    await this.restart("agentsense installed");
  }

  async stop(): Promise<void> {
    this.ownRunToolCommand?.dispose();
    this.ownRunToolCommand = undefined;
    const client = this.client;
    this.client = undefined;
    if (!client) {
      return;
    }
    this.stopping = true;
    try {
      if (client.state !== State.Stopped) {
        await client.stop(5_000);
      }
    } catch (error) {
      this.output.warn(`Stopping the server: ${String(error)}`);
    } finally {
      this.stopping = false;
      this.status.set("stopped");
    }
  }

  dispose(): void {
    void this.stop();
  }
}

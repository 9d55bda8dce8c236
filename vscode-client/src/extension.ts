// The agentsense VS Code extension: starts the language server on Python files and adds the
// commands, the status bar item and "Run tool" around it.

import * as vscode from "vscode";
import type { LanguageClient } from "vscode-languageclient/node";

import { onPythonInterpreterChanged } from "./python";
import { ToolRunner } from "./runTool";
import { ServerManager } from "./server";
import { RESTART_SETTINGS, UPDATE_SETTINGS } from "./settings";
import { StatusItem } from "./status";
import { parseToolTarget, RUN_TOOL_COMMAND } from "./toolRun";
import { pickableTools, type WorkspaceSymbolLike } from "./symbols";

const FIX_ALL_KIND = vscode.CodeActionKind.SourceFixAll.append("agentsense");

let manager: ServerManager | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel("agentsense", { log: true });
  const status = new StatusItem();
  const runner = new ToolRunner(output);
  manager = new ServerManager(output, status, runner, context.extensionPath);
  const servers = manager;
  context.subscriptions.push(output, status, runner, servers);

  context.subscriptions.push(
    vscode.commands.registerCommand("agentsense.restart", () => servers.restart("Restart Server command")),
    vscode.commands.registerCommand("agentsense.showOutput", () => output.show()),
    vscode.commands.registerCommand("agentsense.fixAll", () => fixAll(output)),
    vscode.commands.registerCommand("agentsense.pickAndRunTool", () => pickAndRunTool(servers, runner, output)),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (RESTART_SETTINGS.some((section) => event.affectsConfiguration(section))) {
        void servers.restart("settings changed");
      } else if (UPDATE_SETTINGS.some((section) => event.affectsConfiguration(section))) {
        void servers.updateSettings();
      }
    }),
    // Trust can only be granted while running: the server learns that tools may now run, and
    // the workspace's own interpreter/path settings (ignored while untrusted) now apply.
    vscode.workspace.onDidGrantWorkspaceTrust(() => void servers.restart("workspace trusted")),
    vscode.workspace.onDidChangeWorkspaceFolders(() => void servers.restart("workspace folders changed")),
  );

  const pythonListener = await onPythonInterpreterChanged(() => {
    if (servers.usesPythonExtension) {
      void servers.restart("the Python extension's interpreter changed");
    }
  });
  if (pythonListener) {
    context.subscriptions.push(pythonListener);
  }

  // Not awaited: activation should not wait for the interpreter probe and the server's start.
  void servers.restart("activation");
}

export async function deactivate(): Promise<void> {
  await manager?.stop();
  manager = undefined;
}

/** Applies the server's `source.fixAll.agentsense` action to the active Python file. */
async function fixAll(output: vscode.LogOutputChannel): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor || editor.document.languageId !== "python") {
    void vscode.window.showInformationMessage("agentsense: open a Python file to fix.");
    return;
  }
  const document = editor.document;
  const whole = new vscode.Range(0, 0, document.lineCount, 0);
  const actions =
    (await vscode.commands.executeCommand<vscode.CodeAction[]>(
      "vscode.executeCodeActionProvider",
      document.uri,
      whole,
      FIX_ALL_KIND.value,
      10, // resolve: the server computes the fix-all edit lazily (codeAction/resolve)
    )) ?? [];
  const fixes = actions.filter((action) => action.kind && FIX_ALL_KIND.contains(action.kind));
  if (fixes.length === 0) {
    void vscode.window.showInformationMessage("agentsense: nothing to fix in this file.");
    return;
  }
  for (const action of fixes) {
    if (action.edit && !(await vscode.workspace.applyEdit(action.edit))) {
      output.error(`Fix All: the editor refused the edit of "${action.title}".`);
      return;
    }
    if (action.command) {
      await vscode.commands.executeCommand(action.command.command, ...(action.command.arguments ?? []));
    }
  }
}

/** "Run Tool…": a quick-pick of the workspace's tools (from `workspace/symbol`), then the same
 *  prompts and run as the tool's code lens. */
async function pickAndRunTool(
  servers: ServerManager,
  runner: ToolRunner,
  output: vscode.LogOutputChannel,
): Promise<void> {
  const client: LanguageClient | undefined = servers.running;
  if (!client) {
    void vscode.window.showWarningMessage("agentsense: the server is not running.", "Show Output").then((c) => {
      if (c) {
        output.show();
      }
    });
    return;
  }
  const symbols = await client.sendRequest<WorkspaceSymbolLike[] | null>("workspace/symbol", { query: "" });
  const tools = pickableTools(symbols ?? []);
  if (tools.length === 0) {
    void vscode.window.showInformationMessage("agentsense: no tools found in this workspace.");
    return;
  }
  const items = tools.map((tool) => ({
    label: `$(tools) ${tool.name}`,
    description: vscode.workspace.asRelativePath(vscode.Uri.parse(tool.uri)),
    detail: tool.detail,
    tool,
  }));
  const picked = await vscode.window.showQuickPick(items, {
    title: "agentsense: Run Tool",
    placeHolder: "Pick a tool to run",
    matchOnDescription: true,
    matchOnDetail: true,
  });
  if (!picked) {
    return;
  }
  const uri = vscode.Uri.parse(picked.tool.uri);
  // Show the tool while its arguments are asked for; the result decoration goes on its line.
  const line = picked.tool.line ?? 0;
  await vscode.window.showTextDocument(uri, {
    selection: new vscode.Range(line, 0, line, 0),
    preserveFocus: false,
  });
  // The tool's code lens carries its schema: run the lens's own command when there is one.
  const lenses =
    (await vscode.commands.executeCommand<vscode.CodeLens[]>("vscode.executeCodeLensProvider", uri, 100)) ?? [];
  const runLenses = lenses.filter((l) => l.command?.command === RUN_TOOL_COMMAND);
  const lens =
    runLenses.find((l) => parseToolTarget(l.command?.arguments ?? [])?.name === picked.tool.name) ??
    runLenses.find(
      (l) =>
        picked.tool.line !== undefined &&
        l.range.start.line <= picked.tool.endLine &&
        l.range.end.line >= picked.tool.line,
    );
  const execute = (command: string, args: unknown[]): Promise<unknown> =>
    client.sendRequest("workspace/executeCommand", { command, arguments: args });
  if (lens?.command) {
    await runner.run(lens.command.arguments ?? [], execute);
    return;
  }
  await runner.run([{ uri: picked.tool.uri, name: picked.tool.name, line: picked.tool.line }], execute);
}

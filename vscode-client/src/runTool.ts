// "Run tool": asks for the tool's arguments from its schema, has the server run it, and shows
// the result in the output channel and as an inline decoration on the tool's line.

import * as vscode from "vscode";

import { collectArguments, parseInput, type PromptSpec, type ToolParam } from "./schema";
import {
  decorationText,
  outputText,
  parseToolResult,
  parseToolTarget,
  runToolArguments,
  RUN_TOOL_COMMAND,
  type ToolResult,
  type ToolTarget,
} from "./toolRun";

/** Sends `workspace/executeCommand` to the server and returns its result. */
export type ExecuteOnServer = (command: string, args: unknown[]) => Promise<unknown>;

async function askWithInputBox(spec: PromptSpec): Promise<string | undefined> {
  return vscode.window.showInputBox({
    title: spec.title,
    prompt: spec.prompt,
    placeHolder: spec.placeHolder,
    value: spec.value,
    ignoreFocusOut: true,
    validateInput: (text) => {
      const parsed = parseInput(spec.param, text);
      return parsed.kind === "error" ? parsed.message : undefined;
    },
  });
}

/** With no schema from the server, the whole arguments object is asked for as JSON. */
const ANY_ARGUMENTS: ToolParam = {
  name: "arguments",
  type: "object",
  required: false,
  hasDefault: true,
  default: {},
  description: "The tool's arguments as a JSON object (the server sent no parameter schema).",
  enumValues: undefined,
};

interface ShownResult {
  readonly line: number;
  readonly text: string;
  readonly hover: vscode.MarkdownString;
}

export class ToolRunner implements vscode.Disposable {
  private readonly decoration: vscode.TextEditorDecorationType;
  private readonly results = new Map<string, ShownResult[]>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly output: vscode.LogOutputChannel) {
    this.decoration = vscode.window.createTextEditorDecorationType({
      after: {
        margin: "0 0 0 2em",
        color: new vscode.ThemeColor("editorCodeLens.foreground"),
        fontStyle: "italic",
      },
      rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
    });
    this.disposables.push(
      this.decoration,
      vscode.window.onDidChangeVisibleTextEditors((editors) => editors.forEach((e) => this.paint(e))),
      vscode.workspace.onDidChangeTextDocument((event) => {
        // A result describes the code as it was when it ran: an edit makes it stale.
        if (event.contentChanges.length > 0 && this.results.delete(event.document.uri.toString())) {
          this.repaint(event.document.uri);
        }
      }),
    );
  }

  /** Handles an `agentsense.runTool` command (from a code lens or the quick-pick): prompts,
   *  runs it on the server, shows the result. Returns the server's result, or undefined when
   *  the run was cancelled or refused. */
  async run(args: readonly unknown[], execute: ExecuteOnServer): Promise<unknown> {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage(
        "agentsense does not run tools in an untrusted workspace. Trust the workspace to run tools.",
        "Manage Workspace Trust",
      ).then((choice) => {
        if (choice) {
          void vscode.commands.executeCommand("workbench.trust.manage");
        }
      });
      return undefined;
    }
    const target = parseToolTarget(args);
    if (!target) {
      this.output.error(`Run tool: cannot read the command's arguments: ${JSON.stringify(args)}`);
      void vscode.window.showErrorMessage("agentsense: this Run tool command has no tool to run.");
      return undefined;
    }
    let answers: Record<string, unknown> | undefined;
    try {
      const params = (target.params ?? [ANY_ARGUMENTS]).filter(
        (param) => !(param.name in target.presetArguments),
      );
      answers = await collectArguments(target.name, params, askWithInputBox);
      if (answers && target.params === undefined) {
        answers = (answers["arguments"] as Record<string, unknown> | undefined) ?? {};
      }
    } catch (error) {
      void vscode.window.showErrorMessage(`agentsense: ${String(error)}`);
      return undefined;
    }
    if (answers === undefined) {
      return undefined; // cancelled
    }
    const serverArgs = runToolArguments(target, answers);
    const sent = (serverArgs[0] as { arguments: Record<string, unknown> }).arguments;
    const raw = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: `agentsense: running ${target.name}…` },
      async () => {
        try {
          return await execute(RUN_TOOL_COMMAND, serverArgs);
        } catch (error) {
          return {
            ok: false,
            error: { kind: "server", message: error instanceof Error ? error.message : String(error) },
          };
        }
      },
    );
    const result = parseToolResult(raw);
    this.show(target, sent, result);
    return raw;
  }

  private show(target: ToolTarget, args: Record<string, unknown>, result: ToolResult): void {
    const text = outputText(target.name, args, result);
    if (result.ok) {
      this.output.info(text);
    } else {
      this.output.warn(text);
    }
    const uri = this.targetUri(target);
    const line = target.line ?? this.lineOfTool(uri, target.name);
    if (uri === undefined || line === undefined) {
      this.output.show(true);
      return;
    }
    const hover = new vscode.MarkdownString();
    hover.appendMarkdown(`**agentsense: ${target.name}** (Run tool)\n\n`);
    hover.appendCodeblock(text, "text");
    const key = uri.toString();
    const shown = (this.results.get(key) ?? []).filter((r) => r.line !== line);
    shown.push({ line, text: decorationText(result), hover });
    this.results.set(key, shown);
    this.repaint(uri);
    if (!result.ok) {
      void vscode.window
        .showWarningMessage(`agentsense: ${target.name} failed: ${result.errorMessage ?? "error"}`, "Show Output")
        .then((choice) => {
          if (choice) {
            this.output.show(true);
          }
        });
    }
  }

  private targetUri(target: ToolTarget): vscode.Uri | undefined {
    if (target.uri === undefined) {
      return vscode.window.activeTextEditor?.document.uri;
    }
    try {
      return /^[a-z][a-z0-9+.-]*:/i.test(target.uri) && !/^[a-z]:[\\/]/i.test(target.uri)
        ? vscode.Uri.parse(target.uri, true)
        : vscode.Uri.file(target.uri);
    } catch {
      return undefined;
    }
  }

  /** Without a line from the server, the decoration goes on the tool's `def` line. */
  private lineOfTool(uri: vscode.Uri | undefined, name: string): number | undefined {
    const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri?.toString());
    if (!document) {
      return undefined;
    }
    const pattern = new RegExp(`^\\s*(async\\s+)?def\\s+${name.replace(/[^A-Za-z0-9_]/g, "")}\\b`);
    for (let line = 0; line < document.lineCount; line++) {
      if (pattern.test(document.lineAt(line).text)) {
        return line;
      }
    }
    return undefined;
  }

  private repaint(uri: vscode.Uri): void {
    for (const editor of vscode.window.visibleTextEditors) {
      if (editor.document.uri.toString() === uri.toString()) {
        this.paint(editor);
      }
    }
  }

  private paint(editor: vscode.TextEditor): void {
    const shown = this.results.get(editor.document.uri.toString()) ?? [];
    const options: vscode.DecorationOptions[] = shown
      .filter((r) => r.line < editor.document.lineCount)
      .map((r) => {
        const end = editor.document.lineAt(r.line).range.end;
        return {
          range: new vscode.Range(end, end),
          hoverMessage: r.hover,
          renderOptions: { after: { contentText: r.text } },
        };
      });
    editor.setDecorations(this.decoration, options);
  }

  /** Forget every shown result (on server restart the results may no longer hold). */
  clear(): void {
    const uris = [...this.results.keys()];
    this.results.clear();
    for (const key of uris) {
      this.repaint(vscode.Uri.parse(key));
    }
  }

  dispose(): void {
    this.disposables.forEach((d) => d.dispose());
  }
}

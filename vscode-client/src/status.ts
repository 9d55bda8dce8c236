// The status bar item: server state (starting, ready, error, disabled) and the finding count.

import * as vscode from "vscode";

export type ServerState = "starting" | "ready" | "error" | "disabled" | "stopped";

const ICONS: Record<ServerState, string> = {
  starting: "$(sync~spin)",
  ready: "$(check)",
  error: "$(error)",
  disabled: "$(circle-slash)",
  stopped: "$(debug-stop)",
};

/** The diagnostic `source` the server sets; findings are counted by it (and by AGT codes). */
const SOURCE = "agentsense";

function isFinding(diagnostic: vscode.Diagnostic): boolean {
  if (diagnostic.source === SOURCE) {
    return true;
  }
  const code = typeof diagnostic.code === "object" ? diagnostic.code.value : diagnostic.code;
  return typeof code === "string" && /^AGT\d+$/.test(code);
}

export function countFindings(): number {
  let count = 0;
  for (const [, diagnostics] of vscode.languages.getDiagnostics()) {
    count += diagnostics.filter(isFinding).length;
  }
  return count;
}

export class StatusItem implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly listener: vscode.Disposable;
  private state: ServerState = "starting";
  private detail = "";

  constructor() {
    this.item = vscode.window.createStatusBarItem("agentsense.status", vscode.StatusBarAlignment.Left, 50);
    this.item.name = "agentsense";
    this.item.command = "agentsense.showOutput";
    this.listener = vscode.languages.onDidChangeDiagnostics(() => this.render());
    this.render();
    this.item.show();
  }

  set(state: ServerState, detail = ""): void {
    this.state = state;
    this.detail = detail;
    this.render();
  }

  get current(): ServerState {
    return this.state;
  }

  private render(): void {
    const findings = countFindings();
    const count = this.state === "ready" ? ` ${findings}` : "";
    this.item.text = `${ICONS[this.state]} agentsense${count}`;
    const lines = [`agentsense: server ${this.state}`];
    if (this.state === "ready") {
      lines.push(`${findings} finding${findings === 1 ? "" : "s"} in open files`);
    }
    if (this.detail) {
      lines.push(this.detail);
    }
    lines.push("Click to show the output.");
    this.item.tooltip = lines.join("\n");
    this.item.backgroundColor =
      this.state === "error" ? new vscode.ThemeColor("statusBarItem.errorBackground") : undefined;
    this.item.accessibilityInformation = { label: lines.slice(0, 2).join(", ") };
  }

  dispose(): void {
    this.listener.dispose();
    this.item.dispose();
  }
}

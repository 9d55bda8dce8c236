// The workspace's tools from the server's `workspace/symbol` answer (tools and agents), for the
// "Run Tool…" quick-pick. No vscode import.

/** `SymbolInformation` or `WorkspaceSymbol` as they arrive over LSP. */
export interface WorkspaceSymbolLike {
  readonly name: string;
  readonly kind: number;
  readonly containerName?: string | undefined;
  readonly location: {
    readonly uri: string;
    readonly range?: {
      readonly start: { readonly line: number; readonly character: number };
      readonly end: { readonly line: number; readonly character: number };
    };
  };
  readonly data?: unknown;
}

export interface PickableTool {
  readonly name: string;
  readonly uri: string;
  readonly line: number | undefined;
  readonly endLine: number;
  readonly detail: string;
}

/** Words in a symbol's container or data that mark a tool, and those that mark an agent. */
const TOOL_MARK = /\btools?\b/i;
const AGENT_MARK = /\bagents?\b/i;

function marks(symbol: WorkspaceSymbolLike): string {
  const data = symbol.data;
  const dataText =
    typeof data === "string"
      ? data
      : typeof data === "object" && data !== null
        ? Object.values(data as Record<string, unknown>)
            .filter((v): v is string => typeof v === "string")
            .join(" ")
        : "";
  return `${symbol.containerName ?? ""} ${dataText}`;
}

/** Whether a workspace symbol is a tool (not an agent). The server marks the kind of
 *  registration in `containerName` ("tool (registry)"); other servers' `data` or a name such
 *  as `tool: search` also count. */
export function isToolSymbol(symbol: WorkspaceSymbolLike): boolean {
  // agentsense's server says "tool (REGISTRY)" or "agent (REGISTRY)": its first word decides.
  const kind = /^\s*(tool|agent)\b/i.exec(symbol.containerName ?? "")?.[1]?.toLowerCase();
  if (kind !== undefined) {
    return kind === "tool";
  }
  const text = marks(symbol);
  if (TOOL_MARK.test(text)) {
    return true;
  }
  if (AGENT_MARK.test(text)) {
    return false;
  }
  return /^tool\b/i.test(symbol.name);
}

/** The tools to offer, sorted by name then file, one per registration. */
export function pickableTools(symbols: readonly WorkspaceSymbolLike[]): PickableTool[] {
  const seen = new Set<string>();
  const tools: PickableTool[] = [];
  for (const symbol of symbols) {
    if (!isToolSymbol(symbol)) {
      continue;
    }
    const line = symbol.location.range?.start.line;
    const key = `${symbol.location.uri}#${line ?? ""}#${symbol.name}`;
    if (seen.has(key)) {
      continue;
    }
    seen.add(key);
    const name = symbol.name.replace(/^tool\b[:\s]*/i, "").trim() || symbol.name;
    tools.push({
      name,
      uri: symbol.location.uri,
      line,
      endLine: symbol.location.range?.end.line ?? line ?? 0,
      detail: symbol.containerName ?? "",
    });
  }
  return tools.sort((a, b) => a.name.localeCompare(b.name) || a.uri.localeCompare(b.uri));
}

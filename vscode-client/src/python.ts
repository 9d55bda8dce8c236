// The Python extension's active environment, when that extension is installed (the subset of
// its `environments` API that vscode-python-tools-extension-template uses, typed here so the
// extension does not depend on @vscode/python-extension).

import * as vscode from "vscode";

const PYTHON_EXTENSION_ID = "ms-python.python";

interface EnvironmentPath {
  readonly id: string;
  readonly path: string;
}

interface ResolvedEnvironment {
  readonly executable: { readonly uri: vscode.Uri | undefined };
  readonly version?: { readonly major?: number; readonly minor?: number } | undefined;
}

interface PythonEnvironmentsApi {
  getActiveEnvironmentPath(resource?: vscode.Uri): EnvironmentPath;
  resolveEnvironment(environment: EnvironmentPath | string): Promise<ResolvedEnvironment | undefined>;
  readonly onDidChangeActiveEnvironmentPath: vscode.Event<unknown>;
}

interface PythonExtensionApi {
  readonly environments?: PythonEnvironmentsApi;
}

async function environmentsApi(): Promise<PythonEnvironmentsApi | undefined> {
  const extension = vscode.extensions.getExtension<PythonExtensionApi>(PYTHON_EXTENSION_ID);
  if (!extension) {
    return undefined;
  }
  try {
    const api = extension.isActive ? extension.exports : await extension.activate();
    return api?.environments;
  } catch {
    return undefined;
  }
}

/** The active environment's interpreter as a command line, or undefined when the Python
 *  extension is absent, has no environment selected, or selected one older than 3.10. */
export async function pythonExtensionInterpreter(
  resource: vscode.Uri | undefined,
  log: (message: string) => void,
): Promise<string[] | undefined> {
  const environments = await environmentsApi();
  if (!environments) {
    return undefined;
  }
  try {
    const resolved = await environments.resolveEnvironment(
      environments.getActiveEnvironmentPath(resource),
    );
    const executable = resolved?.executable.uri?.fsPath;
    if (!executable) {
      return undefined;
    }
    const version = resolved?.version;
    if (version?.major !== undefined && version.minor !== undefined) {
      if (version.major < 3 || (version.major === 3 && version.minor < 10)) {
        log(
          `The Python extension's interpreter ${executable} is Python ${version.major}.${version.minor}; agentsense needs 3.10 or newer.`,
        );
        return undefined;
      }
    }
    return [executable];
  } catch (error) {
    log(`Could not read the Python extension's active environment: ${String(error)}`);
    return undefined;
  }
}

/** Calls `listener` when the user selects another interpreter in the Python extension. */
export async function onPythonInterpreterChanged(
  listener: () => void,
): Promise<vscode.Disposable | undefined> {
  const environments = await environmentsApi();
  return environments?.onDidChangeActiveEnvironmentPath(() => listener());
}

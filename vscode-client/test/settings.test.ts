// Settings as read from VS Code, and what the server receives.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";

import { readSettings, RESTART_SETTINGS, toServerSettings, UPDATE_SETTINGS, type SettingsReader } from "../src/settings";

function reader(values: Record<string, unknown>): SettingsReader {
  return { get: <T>(section: string): T | undefined => values[section] as T | undefined };
}

describe("settings -> server options", () => {
  it("applies defaults when nothing is set", () => {
    const settings = readSettings(reader({}));
    assert.deepEqual(settings, {
      enable: true,
      interpreter: [],
      path: [],
      select: [],
      ignore: [],
      runToolTimeoutSeconds: 10,
      runToolAllowNetwork: false,
      runToolAllowUnixSockets: false,
      runToolPassSecrets: false,
      trace: "off",
    });
    assert.deepEqual(toServerSettings(settings, true), {
      select: null,
      ignore: [],
      runToolTimeout: 10,
      allowNetwork: false,
      allowUnixSockets: false,
      runToolPassSecrets: false,
      trusted: true,
    });
  });

  it("passes select, ignore, timeout and network through, codes normalised", () => {
    const settings = readSettings(
      reader({
        "lint.select": ["agt4", " AGT101 ", "AGT4"],
        "lint.ignore": "AGT302",
        "runTool.timeoutSeconds": 30,
        "runTool.allowNetwork": true,
        "runTool.allowUnixSockets": true,
        "runTool.passSecrets": true,
        "trace.server": "verbose",
      }),
    );
    assert.equal(settings.trace, "verbose");
    assert.deepEqual(toServerSettings(settings, true), {
      select: ["AGT4", "AGT101"],
      ignore: ["AGT302"],
      runToolTimeout: 30,
      allowNetwork: true,
      allowUnixSockets: true,
      runToolPassSecrets: true,
      trusted: true,
    });
  });

  it("tells the server when the workspace is untrusted", () => {
    assert.equal(toServerSettings(readSettings(reader({})), false).trusted, false);
  });

  it("replaces bad values instead of sending them", () => {
    const settings = readSettings(
      reader({
        enable: "yes",
        "lint.select": [1, null, "AGT1"],
        "runTool.timeoutSeconds": -3,
        "runTool.allowNetwork": "true",
        "trace.server": "loud",
        interpreter: "/venv/bin/python",
      }),
    );
    assert.equal(settings.enable, true);
    assert.deepEqual(settings.select, ["AGT1"]);
    assert.equal(settings.runToolTimeoutSeconds, 10);
    assert.equal(settings.runToolAllowNetwork, false);
    assert.equal(settings.trace, "off");
    assert.deepEqual(settings.interpreter, ["/venv/bin/python"]);
    assert.equal(readSettings(reader({ "runTool.timeoutSeconds": 10_000 })).runToolTimeoutSeconds, 600);
  });

  it("enable false is read as false", () => {
    assert.equal(readSettings(reader({ enable: false })).enable, false);
  });

  it("restarts for interpreter changes, updates for lint and run-tool changes", () => {
    assert.ok(RESTART_SETTINGS.includes("agentsense.interpreter"));
    assert.ok(RESTART_SETTINGS.includes("agentsense.path"));
    assert.ok(RESTART_SETTINGS.includes("agentsense.enable"));
    assert.ok(UPDATE_SETTINGS.includes("agentsense.lint"));
    assert.ok(UPDATE_SETTINGS.includes("agentsense.runTool"));
  });
});

describe("package.json contributes every setting the code reads, documented", () => {
  // The bundled test runs from out/test/.
  const manifest = JSON.parse(readFileSync(join(__dirname, "..", "..", "package.json"), "utf8")) as {
    contributes: { configuration: { properties: Record<string, { description?: string; markdownDescription?: string }> } };
    capabilities: { untrustedWorkspaces: { supported: unknown } };
  };
  const properties = manifest.contributes.configuration.properties;
  for (const name of [
    "agentsense.enable",
    "agentsense.interpreter",
    "agentsense.path",
    "agentsense.lint.select",
    "agentsense.lint.ignore",
    "agentsense.runTool.timeoutSeconds",
    "agentsense.runTool.allowNetwork",
    "agentsense.runTool.allowUnixSockets",
    "agentsense.runTool.passSecrets",
    "agentsense.trace.server",
  ]) {
    it(name, () => {
      const property = properties[name];
      assert.ok(property, `${name} is not contributed`);
      assert.ok((property.description ?? property.markdownDescription ?? "").length > 20, `${name} is not documented`);
    });
  }
  it("declares limited support for untrusted workspaces", () => {
    assert.equal(manifest.capabilities.untrustedWorkspaces.supported, "limited");
  });
});

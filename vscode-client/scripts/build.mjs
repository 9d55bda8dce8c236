// Bundles the extension with esbuild (and, with --tests, the unit tests for `node --test`).
//   node scripts/build.mjs [--production] [--watch] [--tests]
import * as esbuild from "esbuild";
import { readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const production = process.argv.includes("--production");
const watch = process.argv.includes("--watch");
const tests = process.argv.includes("--tests");

/** @type {esbuild.BuildOptions} */
const common = {
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  external: ["vscode"],
  sourcemap: !production,
  minify: production,
  logLevel: "warning",
  absWorkingDir: root,
};

/** @type {esbuild.BuildOptions} */
const extension = {
  ...common,
  entryPoints: ["src/extension.ts"],
  outfile: "dist/extension.js",
};

if (tests) {
  rmSync(join(root, "out", "test"), { recursive: true, force: true });
  const entryPoints = readdirSync(join(root, "test"))
    .filter((name) => name.endsWith(".test.ts"))
    .map((name) => `test/${name}`);
  await esbuild.build({ ...common, entryPoints, outdir: "out/test", sourcemap: true });
} else if (watch) {
  const context = await esbuild.context(extension);
  await context.watch();
  console.log("esbuild: watching src/ …");
} else {
  await esbuild.build(extension);
}

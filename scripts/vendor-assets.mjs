// Copy the minified front-end files OneGrid serves from node_modules into
// src/onegrid/web/static/vendor/<name>/, with their licences, and write VERSIONS.txt.
//
// Run through `make assets` (npm ci first). The output is committed so users need no Node.
// The output is deterministic: running it twice on the same lock file changes nothing.
// `//# sourceMappingURL=` comments are removed because the source maps are not shipped (a
// reference to a missing file would also break Django's manifest static files storage).

import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const modules = join(root, "node_modules");
const vendor = join(root, "src", "onegrid", "web", "static", "vendor");

// package → { dest: target folder, files: [source in the package, name in the target] }
const PACKAGES = [
  {
    name: "leaflet",
    dest: "leaflet",
    files: [
      ["dist/leaflet.js", "leaflet.js"],
      ["dist/leaflet.css", "leaflet.css"],
      ...readdirSync(join(modules, "leaflet", "dist", "images"))
        .sort()
        .map((f) => [`dist/images/${f}`, `images/${f}`]),
      ["LICENSE", "LICENSE"],
    ],
  },
  {
    name: "htmx.org",
    dest: "htmx",
    files: [
      ["dist/htmx.min.js", "htmx.min.js"],
      ["LICENSE", "LICENSE"],
    ],
  },
  {
    name: "echarts",
    dest: "echarts",
    files: [
      ["dist/echarts.min.js", "echarts.min.js"],
      ["LICENSE", "LICENSE"],
      ["NOTICE", "NOTICE"],
      ["licenses/LICENSE-d3", "LICENSE-d3"],
    ],
  },
  {
    // bundled inside echarts.min.js; its licence travels with it
    name: "zrender",
    dest: "echarts",
    files: [["LICENSE", "LICENSE-zrender"]],
  },
];

const SOURCE_MAP = /^\/\/# sourceMappingURL=.*$\n?/gm;

function sha256(buffer) {
  return createHash("sha256").update(buffer).digest("hex");
}

rmSync(vendor, { recursive: true, force: true });
const lines = [
  "Front-end files vendored from npm by scripts/vendor-assets.mjs (`make assets`). Do not edit by hand.",
  "Source-map comments are stripped from the .js files; nothing else is changed.",
  "",
];
for (const pkg of PACKAGES) {
  const base = join(modules, pkg.name);
  const { version, license } = JSON.parse(readFileSync(join(base, "package.json"), "utf8"));
  lines.push(`${pkg.name} ${version} (${license}) -> vendor/${pkg.dest}/`);
  for (const [source, target] of pkg.files) {
    const from = join(base, source);
    const to = join(vendor, pkg.dest, target);
    mkdirSync(dirname(to), { recursive: true });
    if (to.endsWith(".js")) {
      writeFileSync(to, readFileSync(from, "utf8").replace(SOURCE_MAP, ""));
    } else {
      copyFileSync(from, to);
    }
    lines.push(`  ${relative(vendor, to)}  sha256:${sha256(readFileSync(to))}`);
  }
}
writeFileSync(join(vendor, "VERSIONS.txt"), lines.join("\n") + "\n");
console.log(`vendored ${PACKAGES.length} packages into ${relative(root, vendor)}/`);

import { describe, expect, it } from "vitest";
import { z } from "zod";
import { type CheckInfo, exitCode, type VerifyResult } from "../../src/report/check.js";
import { chainPath, type Finding, sortFindings } from "../../src/report/finding.js";
import { escapeData, escapeProperty, renderGithub } from "../../src/report/render/github.js";
import { renderHuman, useColor } from "../../src/report/render/human.js";
import { JSON_SCHEMA_VERSION, renderJson } from "../../src/report/render/json.js";
import { renderSarif, SARIF_SCHEMA } from "../../src/report/render/sarif.js";

const signing: CheckInfo = {
  code: "TE1001",
  title: "Module signed by a key the kernel does not trust",
  severity: "error",
  explain: "With module.sig_enforce=1 the kernel refuses the module;\nonly dmesg says why.",
  fix: "Sign the module with the key of the kernel build inside the installer.",
};
const vermagic: CheckInfo = {
  code: "TE2001",
  title: "Module built for another kernel release",
  severity: "warning",
  explain: "modprobe refuses a module whose vermagic differs from the running kernel's release.",
  fix: "Rebuild the module against the kernel of this installer.",
};
const manifestName: CheckInfo = {
  code: "TE5001",
  title: "Extension name missing",
  severity: "info",
  explain: "Talos lists the extension with an empty name.",
  fix: "Set metadata.name.",
};
const unused: CheckInfo = { ...manifestName, code: "TE6001", title: "modprobe option for an absent module" };

const at = (check: CheckInfo, f: Omit<Finding, "code" | "severity" | "title" | "explain" | "fix">): Finding => ({
  code: check.code,
  severity: check.severity,
  title: check.title,
  explain: check.explain,
  fix: check.fix,
  ...f,
});

// Names with the characters each format must escape: `:` and `,` (Actions properties), `%`, CR/LF, an escape
// character from an archive member's name, spaces (URIs).
const findings = sortFindings([
  at(signing, {
    artifact: "out/installer v1.13.tar",
    path: chainPath(
      "out/installer v1.13.tar",
      "/usr/install/amd64/initramfs.xz",
      "segment 2",
      "000.nvidia.sqsh",
      "/usr/lib/modules/6.12.0-talos/nvidia.ko",
    ),
    message: "nvidia.ko is signed by 1a:2b:3c, the kernel trusts only 4d:5e:6f (100% mismatch)",
  }),
  at(signing, {
    artifact: "out/installer v1.13.tar",
    path: chainPath("out/installer v1.13.tar", "/usr/lib/modules/6.12.0-talos/evil\u001b[2J.ko"),
    message: "evil\u001b[2J.ko is unsigned\r\nsecond line",
  }),
  at(vermagic, {
    artifact: "module.tar",
    path: chainPath("module.tar", "/rootfs/usr/lib/modules/6.12.0-talos/nvidia.ko"),
    message: "vermagic 6.12.1-talos SMP, kernel 6.12.0-talos",
  }),
  at(manifestName, {
    artifact: "extensions/nvidia,p2p/manifest.yaml",
    line: 3,
    column: 9,
    message: "metadata.name: empty",
  }),
]);
const clean: VerifyResult = { findings, inputErrors: [] };
const chained = findings.find((f) => f.path?.endsWith("/nvidia.ko") && f.code === "TE1001") as Finding;
const broken: VerifyResult = {
  findings,
  inputErrors: [{ artifact: "glibc.tar", message: "glibc.tar: offset 1024 (tar header): expected checksum 0o1234" }],
};

describe("human", () => {
  const text = renderHuman(clean, { color: false });
  const lines = text.split("\n");

  it("colours only a terminal without NO_COLOR", () => {
    expect(useColor({ isTTY: true }, {})).toBe(true);
    expect(useColor({ isTTY: true }, { NO_COLOR: "1" })).toBe(false);
    expect(useColor({ isTTY: true }, { NO_COLOR: "" })).toBe(true);
    expect(useColor({ isTTY: false }, {})).toBe(false);
    expect(useColor({}, {})).toBe(false);
  });

  it("groups findings under one header per artifact, in order", () => {
    const headers = lines.filter((l) => l !== "" && !l.startsWith(" ") && !/^\d+ findings?:/.test(l));
    expect(headers).toEqual(["extensions/nvidia,p2p/manifest.yaml", "module.tar", "out/installer v1.13.tar"]);
    const under = (header: string) => {
      const start = lines.indexOf(header);
      const end = lines.indexOf("", start);
      return lines.slice(start + 1, end).filter((l) => /^ {2}\S/.test(l));
    };
    expect(under("out/installer v1.13.tar")).toEqual([
      `  error TE1001  ${signing.title}`,
      `  error TE1001  ${signing.title}`,
    ]);
    expect(under("module.tar")).toEqual([`  warning TE2001  ${vermagic.title}`]);
  });

  it("shows place, message, why and fix for each finding", () => {
    for (const f of findings) {
      expect(text).toContain(f.message.split("\r")[0]?.replace("\u001b", "\\x1b") as string);
      expect(text).toContain(f.fix);
    }
    expect(lines).toContain("    at    extensions/nvidia,p2p/manifest.yaml:3:9");
    expect(lines).toContain(`    at    ${chained.path}`);
    // A multi-line explanation continues under its label.
    expect(lines).toContain("    why   With module.sig_enforce=1 the kernel refuses the module;");
    expect(lines).toContain("          only dmesg says why.");
    expect(lines.at(-2)).toBe("4 findings: 2 errors, 1 warning, 1 info.");
  });

  it("never passes an artifact's control characters to the terminal", () => {
    expect(text).not.toContain("\u001b");
    expect(text).not.toContain("\r");
    expect(text).toContain("evil\\x1b[2J.ko is unsigned\\x0d");
    const coloured = renderHuman(clean, { color: true });
    expect(coloured).toContain("\u001b[1m\u001b[31merror\u001b[0m");
    expect(coloured).toContain("\u001b[1m\u001b[33mwarning\u001b[0m");
    expect(coloured).not.toContain("\u001b[2J");
  });

  it("lists unreadable inputs and says when there is nothing to report", () => {
    const message = broken.inputErrors[0]?.message as string;
    expect(renderHuman(broken, { color: false })).toContain(`\ncannot read ${message}\n`);
    const bare = { findings: [], inputErrors: [{ artifact: "glibc.tar", message: "truncated" }] };
    expect(renderHuman(bare, { color: false })).toBe(
      "cannot read glibc.tar: truncated\n\nNo findings; 1 input could not be read.\n",
    );
    expect(renderHuman({ findings: [], inputErrors: [] }, { color: false })).toBe("No findings.\n");
  });
});

describe("json", () => {
  const findingSchema = z.strictObject({
    code: z.string().regex(/^TE[1-6]\d{3}$/),
    severity: z.enum(["error", "warning", "info"]),
    title: z.string().min(1),
    message: z.string().min(1),
    artifact: z.string().min(1),
    path: z.string().optional(),
    line: z.number().int().min(1).optional(),
    column: z.number().int().min(1).optional(),
    explain: z.string().min(1),
    fix: z.string().min(1),
    details: z.array(z.record(z.string(), z.string())).optional(),
  });
  const reportSchema = z.strictObject({
    schemaVersion: z.literal(1),
    tool: z.strictObject({ name: z.literal("talos-ext"), version: z.string() }),
    failOn: z.enum(["error", "warning", "info", "none"]),
    exitCode: z.union([z.literal(0), z.literal(1), z.literal(2)]),
    summary: z.strictObject({ error: z.number(), warning: z.number(), info: z.number() }),
    findings: z.array(findingSchema),
    inputErrors: z.array(z.strictObject({ artifact: z.string(), message: z.string() })),
  });

  it("follows its schema, keeps the finding order and leaves absent fields out", () => {
    const report = reportSchema.parse(JSON.parse(renderJson(clean, { toolVersion: "0.1.0", failOn: "warning" })));
    expect(report.schemaVersion).toBe(JSON_SCHEMA_VERSION);
    expect(report.findings).toEqual(findings);
    expect(report.summary).toEqual({ error: 2, warning: 1, info: 1 });
    expect(report.exitCode).toBe(exitCode(clean, "warning"));
    expect(Object.keys(report.findings[0] ?? {})).toEqual([
      "code",
      "severity",
      "title",
      "message",
      "artifact",
      "line",
      "column",
      "explain",
      "fix",
    ]);
  });

  it("is byte-identical for the same findings in any order, and reports unreadable input", () => {
    const once = renderJson(clean, { toolVersion: "0.1.0", failOn: "error" });
    const reordered = { findings: sortFindings([...findings].reverse()), inputErrors: [] };
    expect(renderJson(reordered, { toolVersion: "0.1.0", failOn: "error" })).toBe(once);
    const report = reportSchema.parse(JSON.parse(renderJson(broken, { toolVersion: "0.1.0", failOn: "none" })));
    expect(report.exitCode).toBe(2);
    expect(report.inputErrors).toEqual(broken.inputErrors);
  });

  it("carries a grouped finding's details last, in full, for machines", () => {
    const details = [
      { module: "e1000e", path: "/usr/lib/modules/x/e1000e.ko" },
      { module: "igb", path: "/usr/lib/modules/x/igb.ko" },
    ];
    const grouped = { ...(findings[0] as Finding), message: "2 modules of rootfs ...", details };
    const report = reportSchema.parse(
      JSON.parse(renderJson({ findings: [grouped], inputErrors: [] }, { toolVersion: "0.1.0", failOn: "error" })),
    );
    expect(Object.keys(report.findings[0] ?? {}).at(-1)).toBe("details");
    expect(report.findings[0]?.details).toEqual(details);
    const sarif = JSON.parse(
      renderSarif({ findings: [grouped], inputErrors: [] }, { toolVersion: "0.1.0", checks: [] }),
    );
    expect(sarif.runs[0].results[0].properties).toEqual({ details });
  });
});

describe("sarif", () => {
  // The parts of the SARIF 2.1.0 schema (OASIS sarif-schema-2.1.0.json, errata01) that this output uses:
  // required properties, enumerations and minimums, and additionalProperties: false on every object.
  const text = z.strictObject({ text: z.string(), markdown: z.string().optional() });
  const message = z.strictObject({ text: z.string() });
  const artifactLocation = z.strictObject({ uri: z.string().regex(/^[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*$/) });
  const level = z.enum(["none", "note", "warning", "error"]);
  const location = z.strictObject({
    physicalLocation: z.strictObject({
      artifactLocation,
      region: z
        .strictObject({ startLine: z.number().int().min(1), startColumn: z.number().int().min(1).optional() })
        .optional(),
    }),
    logicalLocations: z
      .array(z.strictObject({ name: z.string(), fullyQualifiedName: z.string(), kind: z.string() }))
      .optional(),
  });
  const sarifSchema = z.strictObject({
    $schema: z.url(),
    version: z.literal("2.1.0"),
    runs: z.array(
      z.strictObject({
        tool: z.strictObject({
          driver: z.strictObject({
            name: z.string(),
            version: z.string(),
            rules: z.array(
              z.strictObject({
                id: z.string(),
                shortDescription: text,
                fullDescription: text,
                help: text,
                defaultConfiguration: z.strictObject({ level }),
                properties: z.strictObject({ tags: z.array(z.string()) }),
              }),
            ),
          }),
        }),
        invocations: z.array(
          z.strictObject({
            executionSuccessful: z.boolean(),
            toolExecutionNotifications: z.array(z.strictObject({ level, message, locations: z.array(location) })),
          }),
        ),
        columnKind: z.enum(["utf16CodeUnits", "unicodeCodePoints"]),
        results: z.array(
          z.strictObject({
            ruleId: z.string(),
            ruleIndex: z.number().int().min(-1),
            level,
            message,
            locations: z.array(location),
          }),
        ),
      }),
    ),
  });

  const render = (result: VerifyResult) =>
    sarifSchema.parse(
      JSON.parse(renderSarif(result, { toolVersion: "0.1.0", checks: [unused, vermagic, signing, manifestName] })),
    );

  it("is structurally valid SARIF 2.1.0", () => {
    const log = render(clean);
    expect(log.$schema).toBe(SARIF_SCHEMA);
    expect(log.runs).toHaveLength(1);
  });

  it("lists every check as a rule, with its help text, even without results", () => {
    const rules = render(clean).runs[0]?.tool.driver.rules ?? [];
    expect(rules.map((r) => r.id)).toEqual(["TE1001", "TE2001", "TE5001", "TE6001"]);
    const rule = rules[0];
    expect(rule?.shortDescription.text).toBe(signing.title);
    expect(rule?.help.text).toContain(signing.explain);
    expect(rule?.help.text).toContain(signing.fix);
    expect(rule?.defaultConfiguration.level).toBe("error");
    expect(rule?.properties.tags).toEqual(["signing chain"]);
  });

  it("points each result at its rule, artifact, in-artifact path and line", () => {
    const run = render(clean).runs[0];
    const rules = run?.tool.driver.rules ?? [];
    const results = run?.results ?? [];
    expect(results).toHaveLength(findings.length);
    results.forEach((r, i) => {
      const f = findings[i] as Finding;
      expect(rules[r.ruleIndex]?.id).toBe(r.ruleId);
      expect(r.ruleId).toBe(f.code);
      expect(r.level).toBe({ error: "error", warning: "warning", info: "note" }[f.severity]);
      expect(r.message.text).toBe(f.message);
      const loc = r.locations[0];
      expect(decodeURIComponent(loc?.physicalLocation.artifactLocation.uri ?? "")).toBe(f.artifact);
      expect(loc?.logicalLocations?.[0]?.fullyQualifiedName).toBe(f.path);
      expect(loc?.physicalLocation.region?.startLine).toBe(f.line);
      expect(loc?.physicalLocation.region?.startColumn).toBe(f.column);
    });
    expect(results[0]?.locations[0]?.physicalLocation.artifactLocation.uri).toBe(
      "extensions/nvidia%2Cp2p/manifest.yaml",
    );
    const logical = results[findings.indexOf(chained)]?.locations[0]?.logicalLocations?.[0];
    expect(logical?.name).toBe("/usr/lib/modules/6.12.0-talos/nvidia.ko");
  });

  it("marks the run unsuccessful with a notification per unreadable input", () => {
    const invocation = render(broken).runs[0]?.invocations[0];
    expect(invocation?.executionSuccessful).toBe(false);
    expect(invocation?.toolExecutionNotifications.map((n) => n.message.text)).toEqual([broken.inputErrors[0]?.message]);
    expect(render(clean).runs[0]?.invocations[0]?.executionSuccessful).toBe(true);
  });
});

describe("github", () => {
  const unescapeCommand = (s: string) =>
    s.replace(/%(25|0D|0A|3A|2C)/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));

  /** Splits `::cmd k=v,k=v::message` the way the runner does: properties end at `::`, split at `,` and `=`. */
  function parse(line: string) {
    const m = /^::(\w+)(?: ([^:]*))?::(.*)$/.exec(line);
    if (m === null) throw new Error(`not a workflow command: ${line}`);
    const props = Object.fromEntries(
      (m[2] ?? "").split(",").map((kv) => {
        const eq = kv.indexOf("=");
        return [kv.slice(0, eq), unescapeCommand(kv.slice(eq + 1))];
      }),
    );
    return { command: m[1], props, message: unescapeCommand(m[3] ?? "") };
  }

  it("escapes as the Actions toolkit does", () => {
    expect(escapeData("100%\r\nnext: a, b")).toBe("100%25%0D%0Anext: a, b");
    expect(escapeProperty("100%\r\nnext: a, b")).toBe("100%25%0D%0Anext%3A a%2C b");
  });

  it("writes one annotation per finding and unreadable input, which parse back to the original values", () => {
    const out = renderGithub(broken);
    const lines = out.trimEnd().split("\n");
    expect(lines).toHaveLength(findings.length + 1);
    lines.slice(0, findings.length).forEach((line, i) => {
      const f = findings[i] as Finding;
      const { command, props, message } = parse(line);
      expect(command).toBe({ error: "error", warning: "warning", info: "notice" }[f.severity]);
      expect(props.title).toBe(`${f.code} ${f.title}`);
      expect(props.file).toBe(f.artifact);
      expect(props.line).toBe(f.line === undefined ? undefined : String(f.line));
      expect(props.col).toBe(f.column === undefined ? undefined : String(f.column));
      expect(message.split("\n")[0]).toBe(f.message.split("\n")[0]);
      expect(message).toContain(`fix: ${f.fix}`);
      if (f.path !== undefined) expect(message).toContain(`at ${f.path}`);
    });
    const last = parse(lines.at(-1) as string);
    expect(last).toEqual({
      command: "error",
      props: { title: "unreadable input", file: "glibc.tar" },
      message: broken.inputErrors[0]?.message,
    });
    expect(renderGithub({ findings: [], inputErrors: [] })).toBe("");
  });

  it("keeps CR and LF out of the command line", () => {
    for (const line of renderGithub(clean).trimEnd().split("\n")) expect(line).not.toMatch(/\r/);
    expect(renderGithub(clean)).toContain("evil\u001b[2J.ko is unsigned%0D%0Asecond line");
  });
});

/**
 * The template renderer against Go's own text/template (test/repo/gotemplate, built by
 * test/fixtures/make-repo.sh): every template of the repository fixture and a set of edge cases must render
 * to the same text, and where Go refuses a template the renderer must say so too.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadRepository } from "../../src/repo/load.js";
import type { TemplateFile } from "../../src/repo/model.js";
import { renderTemplate } from "../../src/repo/template.js";
import { CLEAN, dispose, materialize, variants } from "./variants.js";

const GOTEMPLATE = join(import.meta.dirname, "../fixtures/out/repo/gotemplate");

interface Request {
  readonly template: string;
  readonly vars: Record<string, string>;
}
type Response = { output: string; error?: undefined } | { error: string; output?: undefined };

function goRender(requests: readonly Request[]): Promise<Response[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(GOTEMPLATE, [], { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      err += d;
    });
    child.on("error", (e) => reject(new Error(`${GOTEMPLATE}: ${e.message} (run: bash test/fixtures/make.sh repo)`)));
    child.on("close", (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`gotemplate: ${err}`))));
    child.stdin.end(JSON.stringify(requests));
  });
}

/** The variables a template reads, with the values its scope gives them (absent ones stay absent). */
function varsOf(t: TemplateFile): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const ref of t.result.refs) {
    const value = t.scope.get(ref.name);
    if (value !== undefined) vars[ref.name] = value;
  }
  return vars;
}

function expectSame(source: string, vars: Record<string, string>, go: Response): void {
  const mine = renderTemplate(source, new Map(Object.entries(vars)));
  if (go.error === undefined) {
    expect(mine.issues).toEqual([]);
    expect(mine.rendered?.text).toBe(go.output);
  } else {
    // Go refuses it (a syntax error, or a function that only sprig defines): the renderer must not pass it.
    expect(mine.issues.length, `Go: ${go.error}`).toBeGreaterThan(0);
  }
}

describe("templates rendered as Go's text/template renders them", () => {
  it("renders every vars.yaml, pkg.yaml and *.tmpl of the fixture and its variants like Go", async () => {
    const templates: TemplateFile[] = [...(await loadRepository(CLEAN)).templates];
    for (const v of await variants()) {
      const dir = await materialize(v);
      try {
        templates.push(...(await loadRepository(dir)).templates);
      } finally {
        await dispose(dir);
      }
    }
    const requests = templates.map((t) => ({ template: t.map.source, vars: varsOf(t) }));
    const answers = await goRender(requests);
    expect(answers).toHaveLength(requests.length);
    expect(answers.filter((a) => a.error !== undefined).length).toBe(2); // template-syntax, template-not-evaluated
    requests.forEach((r, i) => {
      expectSame(r.template, r.vars, answers[i] as Response);
    });
  });

  const cases: [string, string, Record<string, string>][] = [
    ["a variable", 'version: "{{ .VERSION }}"', { VERSION: "1.2.3" }],
    ["a missing variable", "[{{ .TIER }}] {{.TIER}}", {}],
    ["no space before the delimiter", "{{ .A}}{{.A }}", { A: "x" }],
    ["trim markers", "a  \n {{- .A -}} \n\t b {{- .A }} c {{ .A -}}\n d", { A: "x" }],
    ["a minus that is not a trim marker", "{{ .A }}-}}", { A: "x" }],
    ["comments", "a{{/* one */}}b {{- /* two */ -}} c\n{{/* multi\nline */}}d", {}],
    [
      "if, else if, else",
      '{{ if eq .ARCH "aarch64" }}arm{{ else if eq .ARCH "x86_64" }}amd{{ else }}other{{ end }}',
      { ARCH: "x86_64" },
    ],
    ["the else branch", '{{ if eq .ARCH "aarch64" }}arm{{ else }}other{{ end }}', { ARCH: "riscv64" }],
    ["eq with several values", '{{ if eq .A "x" "y" "z" }}hit{{ end }}', { A: "y" }],
    ["ne with an empty string", '{{ if ne .T "" }}set{{ else }}unset{{ end }}', { T: "" }],
    [
      "a variable as the condition",
      "{{ if .A }}a{{ end }}{{ if .B }}b{{ end }}{{ if .C }}c{{ end }}",
      { A: "1", B: "" },
    ],
    ["eq on a missing variable", '{{ if eq .M "x" }}y{{ else }}n{{ end }}', {}],
    ["nested ifs", '{{ if .A }}{{ if eq .B "1" }}ab{{ else }}a{{ end }}{{ end }}', { A: "1", B: "2" }],
    ["raw and escaped strings", '{{ if eq .A `x"y` }}raw{{ end }}{{ if eq .A "x\\"y" }}escaped{{ end }}', { A: 'x"y' }],
    ["a literal", '{{ "lit" }} {{ 42 }}', {}],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell syntax in a template's text, on purpose
    ["braces that are not actions", "a { b } {x} }} ${HOME} $(cmd)", {}],
    [
      "a YAML comment holding actions",
      '    # {{ if eq .ARCH "aarch64" }} comment\n      - a\n    # {{ end }}\n',
      { ARCH: "x86_64" },
    ],
    ["an if without end", "{{ if .A }}x", { A: "1" }],
    ["an end without if", "x{{ end }}", {}],
    ["an else after else", "{{ if .A }}a{{ else }}b{{ else }}c{{ end }}", {}],
    ["an unclosed action", "{{ .A ", { A: "1" }],
    ["an unclosed comment", "{{/* x }}", {}],
    ["an unclosed string", '{{ if eq .A "x }}{{ end }}', {}],
    ["a function only sprig has", '{{ .A | trimSuffix ".0" }}', { A: "1.0" }],
  ];

  it.each(cases)("%s", async (_, template, vars) => {
    const [go] = await goRender([{ template, vars }]);
    expectSame(template, vars, go as Response);
  });
});

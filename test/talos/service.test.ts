import { describe, expect, it } from "vitest";
import { parseServiceSpec } from "../../src/talos/service.js";

const parse = (source: string, talos = "v1.13.0") => parseServiceSpec(source, "svc.yaml", talos);
const messages = (source: string, talos?: string) => parse(source, talos).issues.map((i) => i.message);

const HELLO = `name: hello
container:
  entrypoint: hello-world
  args: [--development, --log=debug]
  mounts:
    - { destination: /var/lib/example, type: bind, source: /var/lib/example, options: [rbind, ro] }
depends:
  - service: cri
  - path: /system/run/machined/machined.sock
  - network: [addresses]
restart: never
`;

describe("extension service specs as machined reads them", () => {
  it("accepts a full spec and keeps what Validate reads", () => {
    expect(parse(HELLO)).toEqual({
      spec: {
        name: "hello",
        entrypoint: "hello-world",
        restart: "never",
        depends: [{ service: "cri" }, { path: "/system/run/machined/machined.sock" }, { network: ["addresses"] }],
      },
      issues: [],
    });
  });

  it("reports every Validate error of an empty spec, as Talos' own test expects them", () => {
    expect(messages("")).toEqual([
      'name "" is invalid',
      "restart kind is invalid: RestartKind(0)",
      "container endpoint can't be empty",
    ]);
  });

  it("refuses a name outside [-_a-z0-9], with its line and column", () => {
    const r = parse("name: FOO\ncontainer: { entrypoint: foo }\nrestart: always\n");
    expect(r.spec).toBeUndefined();
    expect(r.issues).toEqual([{ file: "svc.yaml", line: 1, column: 7, key: "name", message: 'name "FOO" is invalid' }]);
  });

  it("judges each dependency: none set, a relative path, two set", () => {
    const deps = "depends:\n  - {}\n  - path: ./somefile\n  - { network: [addresses], path: /foo }\n";
    expect(messages(`name: foo\ncontainer: { entrypoint: foo }\nrestart: always\n${deps}`)).toEqual([
      "no dependency specified",
      'path is not absolute: "./somefile"',
      "more than a single dependency is set",
    ]);
  });

  it("fails to decode an unknown restart kind or network status (matched case-insensitively)", () => {
    const base = "name: foo\ncontainer: { entrypoint: foo }\n";
    expect(parse(`${base}restart: UntilSuccess\n`).spec?.restart).toBe("untilSuccess");
    expect(messages(`${base}restart: sometimes\n`)).toEqual([
      "error unmarshalling extension service config: sometimes does not belong to RestartKind values",
    ]);
    expect(messages(`${base}restart: always\ndepends:\n  - network: [wifi]\n`)).toEqual([
      "error unmarshalling extension service config: wifi does not belong to Status values",
    ]);
    expect(parse(`${base}restart: always\ndepends:\n  - network: [EtcFiles]\n`).spec?.depends).toEqual([
      { network: ["etcfiles"] },
    ]);
  });

  it("fails to decode a mapping where a string belongs; ignores unknown keys", () => {
    expect(messages("name: { a: b }\n")).toEqual([
      "error unmarshalling extension service config: cannot unmarshal a mapping into a string",
    ]);
    const r = parse("name: foo\nentrypoint: foo\ncontainer: { entrypoint: foo }\nrestart: always\nrestrat: never\n");
    expect(r.spec?.name).toBe("foo");
  });

  it("takes YAML 1.1 booleans for time, and configuration only from v1.7.0-alpha.1", () => {
    const spec = "name: foo\ncontainer: { entrypoint: foo }\nrestart: always\ndepends:\n  - ";
    expect(parse(`${spec}time: yes\n`).spec?.depends).toEqual([{ time: true }]);
    expect(parse(`${spec}configuration: true\n`).spec?.depends).toEqual([{ configuration: true }]);
    expect(messages(`${spec}configuration: true\n`, "v1.6.7")).toEqual(["no dependency specified"]);
  });
});

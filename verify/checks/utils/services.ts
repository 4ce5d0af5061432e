import { parseServiceSpec, type ServiceIssue, type ServiceSpec } from "../../../src/talos/service.js";
import type { ArtifactFact, ServiceFact } from "../../model.js";

export interface JudgedService {
  readonly fact: ServiceFact;
  readonly spec?: ServiceSpec;
  readonly issues: readonly ServiceIssue[];
  /** The file machined loaded first under the same name, when this one repeats it. */
  readonly duplicateOf?: ServiceFact;
}

/**
 * Every service spec of an artifact as machined sees them: the winning file at each path, in file name order
 * (os.ReadDir), each decoded and validated; a later file repeating a loaded name is skipped.
 */
export function judgedServices(artifact: ArtifactFact): JudgedService[] {
  const winning = new Map<string, ServiceFact>();
  for (const s of artifact.services) winning.set(s.path, s);
  const loaded = new Map<string, ServiceFact>();
  return [...winning.values()]
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((fact) => {
      const { spec, issues } = parseServiceSpec(fact.text, fact.location, artifact.talosVersion);
      if (spec === undefined) return { fact, issues };
      const first = loaded.get(spec.name);
      if (first !== undefined) return { fact, issues, duplicateOf: first };
      loaded.set(spec.name, fact);
      return { fact, spec, issues };
    });
}

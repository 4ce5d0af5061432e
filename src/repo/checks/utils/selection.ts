/** Which extensions, files and templates concern the extensions under review. */
import type { Extension, RepoModel, TemplateFile } from "../../model.js";

/** Whether a file feeds the build of any selected extension (every file does when all are selected). */
export function concernsSelected(model: RepoModel, file: string): boolean {
  if (model.selected.size === model.extensions.length) return true;
  return [...model.selected].some((e) => model.inputsOf(e).has(file));
}

/** The selected extensions, in directory order. */
export const selected = (model: RepoModel): Extension[] => model.extensions.filter((e) => model.selected.has(e));

/** The templates that feed a selected extension. */
export const relevantTemplates = (model: RepoModel): TemplateFile[] =>
  model.templates.filter((t) => concernsSelected(model, t.file));

import type { VerifyModel } from "../../model.js";

/**
 * What a refused signature means on the boot the reference kernel makes, appended to each signature finding:
 * the module is refused, or it loads and taints the kernel. Nothing where the inputs do not tell.
 */
export function onThisBoot(model: VerifyModel): string {
  const e = model.kernel?.enforcement;
  if (e?.kind === "enforced") return `; refused at load on this boot (${e.by})`;
  if (e?.kind === "off") return `; loaded with a taint on this boot, not refused (${e.why})`;
  if (e?.kind === "unchecked") return "; loaded on this boot (the kernel checks no signature: CONFIG_MODULE_SIG unset)";
  return "";
}

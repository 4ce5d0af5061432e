/** `talos-ext/formats/elf`: ELF files, a kernel module's .modinfo and vermagic, a library's dynamic section, symbols and symbol CRCs. */
export { type Compiler, compilersOf, parseCompiler, readComments } from "./comment.js";
export { type DynamicInfo, readDynamicInfo } from "./dynamic.js";
export { ElfFile } from "./file.js";
export { type ElfHeader, readElfHeader } from "./header.js";
export { readInterp } from "./interp.js";
export { type ModInfo, type ModInfoEntry, type ModParam, modinfoOf, parseModinfo, readModinfo } from "./modinfo.js";
export { type ElfSymbol, readSymbols } from "./symbols.js";
export { vermagicMatchesRelease, vermagicRelease } from "./vermagic.js";
export { type ModVersion, readExportedVersions, readModVersions } from "./versions.js";

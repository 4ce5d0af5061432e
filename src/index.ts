export type { Check, CheckInfo, FailOn, FindingAt, InputError, VerifyResult } from "../verify/check.js";
export { exitCode, FAIL_ON_VALUES, failsAt, findingOf, parseFailOn, runChecks } from "../verify/check.js";
export { checks } from "../verify/checks/index.js";
export type { Finding, FindingArea, FindingCode, FindingDetail, Severity, SeverityCounts } from "../verify/finding.js";
export {
  chainPath,
  compareFindings,
  countBySeverity,
  FINDING_AREAS,
  findingArea,
  SEVERITIES,
  severityRank,
  sortFindings,
} from "../verify/finding.js";
export type { ArtifactInput } from "../verify/load.js";
export { loadModel } from "../verify/load.js";
export type { ArtifactFact, Role, VerifyModel } from "../verify/model.js";
export type { Progress, ProgressStream } from "../verify/progress.js";
export { terminalProgress } from "../verify/progress.js";
export { renderGithub } from "../verify/render/github.js";
export { renderHuman, useColor } from "../verify/render/human.js";
export type { JsonReport } from "../verify/render/json.js";
export { JSON_SCHEMA_VERSION, renderJson } from "../verify/render/json.js";
export { renderSarif, SARIF_SCHEMA } from "../verify/render/sarif.js";
export { FormatError, LimitError } from "./errors.js";
export type { BuildOptions, BuildResult } from "./extension/build.js";
export { BuildRefused, buildExtension } from "./extension/build.js";
export type { DefinitionFile, ExtensionDefinition, ExtensionDefinitionInput } from "./extension/definition.js";
export {
  DEFINITION_FILE,
  DefinitionError,
  defineExtension,
  definitionSchema,
  loadDefinition,
} from "./extension/definition.js";
export type {
  ExtensionMetadata,
  Manifest,
  ManifestIssue,
  ManifestParse,
  ManifestRejection,
} from "./extension/manifest.js";
export { formatManifestIssue, manifestSchema, metadataSchema, parseManifest } from "./extension/manifest.js";
export type {
  CacheVerdict,
  LayerCache,
  LayerCacheEntry,
  LayerLibrary,
  OverlayLayer,
  PathConflict,
} from "./extension/overlay.js";
export { judgeLdCaches, pathConflicts } from "./extension/overlay.js";
export { GITHUB_TO_REDIST, remapPatch } from "./extension/patch-remap.js";
export type { GeneratedCache, OverlayPlan } from "./extension/plan.js";
export { GENERATED_CACHE_LAYER, planOverlay } from "./extension/plan.js";
export type { Rootfs, RootfsContent, RootfsEntry } from "./extension/rootfs.js";
export { planRootfs, RootfsError } from "./extension/rootfs.js";
export type { ScaffoldVars, TemplateInfo } from "./extension/scaffold.js";
export { listTemplates, SCAFFOLD_DEFAULTS, scaffold, templatesRoot } from "./extension/scaffold.js";
export type { Comparator, Operator, PreReleaseId, SemVersion, SemverRange } from "./extension/semver.js";
export {
  compareSemver,
  formatSemver,
  parseRange,
  parseSemver,
  parseSemverTolerant,
  SemverError,
  satisfies,
} from "./extension/semver.js";
export type {
  CompatibilityResult,
  TalosRules,
  TreeEntry,
  TreeEntryKind,
  TreeRule,
  TreeViolation,
} from "./extension/talos-rules.js";
export {
  checkCompatibility,
  checkExtensionTree,
  OLDEST_MODELLED_TALOS,
  talosRules,
  trimConstraint,
} from "./extension/talos-rules.js";
export type { Compression, DecompressOptions } from "./formats/compress/index.js";
export {
  decompressBlock,
  decompressBuffer,
  decompressStream,
  lz4Backend,
  sniff,
  zstdBackend,
} from "./formats/compress/index.js";
export type { CpioEntry, CpioMember, CpioType } from "./formats/cpio/reader.js";
export { readCpio } from "./formats/cpio/reader.js";
export type { CpioInput } from "./formats/cpio/writer.js";
export { writeCpio } from "./formats/cpio/writer.js";
export type { DynamicInfo } from "./formats/elf/dynamic.js";
export { readDynamic, readDynamicInfo } from "./formats/elf/dynamic.js";
export { ElfFile } from "./formats/elf/file.js";
export type { ElfHeader } from "./formats/elf/header.js";
export type { ModInfo, ModInfoEntry, ModParam } from "./formats/elf/modinfo.js";
export { parseModinfo, readModinfo } from "./formats/elf/modinfo.js";
export { readX86IsaLevel } from "./formats/elf/property.js";
export type { ElfSection, ElfSegment } from "./formats/elf/tables.js";
export { vermagicMatchesRelease, vermagicRelease } from "./formats/elf/vermagic.js";
export type { Segment, SegmentBounds } from "./formats/initramfs/index.js";
export { listInitramfs, readInitramfs, segmentEntries, splitInitramfs } from "./formats/initramfs/index.js";
export type { KernelImage } from "./formats/kernel/index.js";
export { readKernelImage } from "./formats/kernel/index.js";
export type { ModinfoSignature, ModuleSignature, SignerId } from "./formats/kmod-sig/index.js";
export {
  modinfoSignature,
  namesCertificate,
  readModuleSignature,
  verifyModuleSignature,
} from "./formats/kmod-sig/index.js";
export { moduleSource } from "./formats/kmod-sig/module-source.js";
export type { LdconfigArch } from "./formats/ldcache/elf-flags.js";
export { ldconfigFlags } from "./formats/ldcache/elf-flags.js";
export { ldCacheFlagsText } from "./formats/ldcache/flags.js";
export { dlCacheLibcmp } from "./formats/ldcache/libcmp.js";
export type { LdCache, LdCacheEntry } from "./formats/ldcache/read.js";
export { readLdCache } from "./formats/ldcache/read.js";
export type { TreeLibs } from "./formats/ldcache/tree.js";
export { ldCacheLibsFromTree } from "./formats/ldcache/tree.js";
export type { LdCacheLib } from "./formats/ldcache/write.js";
export { compareLdCacheLibs, writeLdCache } from "./formats/ldcache/write.js";
export type { ArchiveFormat, Image, ImageConfig, ImageLayer, Platform } from "./formats/oci/archive.js";
export { DEFAULT_PLATFORM, openImageArchive, parsePlatform, platformText } from "./formats/oci/archive.js";
export { maxLayerOutput } from "./formats/oci/layer.js";
export type { ImageArchiveOptions, ImageArchiveWritten } from "./formats/oci/write.js";
export { writeImageArchive } from "./formats/oci/write.js";
export type { CompressionOptions, WriteCompressor } from "./formats/squashfs/encode.js";
export * as squashfsFormat from "./formats/squashfs/format.js";
export type {
  CompressorOptions,
  DirectoryEntry,
  FileRange,
  Inode,
  InodeKind,
  InodeType,
  Superblock,
  WalkEntry,
} from "./formats/squashfs/reader.js";
export { SquashFs } from "./formats/squashfs/reader.js";
export {
  flagNames as squashfsFlagNames,
  readSuperblock as readSquashfsSuperblock,
} from "./formats/squashfs/superblock.js";
export { WriteInputError } from "./formats/squashfs/write-tree.js";
export type { SquashfsSource, SquashfsWriteOptions, SquashfsWritten } from "./formats/squashfs/writer.js";
export { writeSquashfs } from "./formats/squashfs/writer.js";
export type { TarEntryType } from "./formats/tar/entry.js";
export { indexTar, walkTar } from "./formats/tar/index.js";
export { cleanMemberPath, UnsafePathError } from "./formats/tar/path.js";
export type { TarEntry } from "./formats/tar/reader.js";
export { readTar } from "./formats/tar/reader.js";
export type { TarMember, TarWritten } from "./formats/tar/write.js";
export { writeTar } from "./formats/tar/write.js";
export type { Certificate } from "./formats/x509/index.js";
export { parseCertificate } from "./formats/x509/index.js";
export type { DirectorySource } from "./image/directory.js";
export { directorySource } from "./image/directory.js";
export { flattenImage, forEachImageFile, imageFileSource, imageLayer, readImageFile } from "./image/image-layers.js";
export { initramfsSegmentLayer } from "./image/initramfs-layer.js";
export type { LayerContent, LayerKind } from "./image/layer.js";
export { squashfsLayer } from "./image/squashfs-layer.js";
export type { TarLayerSource } from "./image/tar-layer.js";
export { TarLayer } from "./image/tar-layer.js";
export type { ContentRef, EntryType, FsEntry, Layer, LayerEntry } from "./image/tree.js";
export { FsTree, flatten } from "./image/tree.js";
export type { ByteSource } from "./io/source.js";
export { BufferSource, FileSource, SliceSource } from "./io/source.js";
export { crc32, encodePng, rasterize, renderPng } from "./p2p/image/png.js";
export type { Cell, Item, RectItem, Rgb, Scene, TextItem } from "./p2p/image/scene.js";
export { buildScene } from "./p2p/image/scene.js";
export { renderSvg } from "./p2p/image/svg.js";
export { ASYMMETRY_RATIO, BOUNCE_MARGIN, LATENCY_DROP, P2P_CHECKS, SIBLING_RATIO } from "./p2p/judge.js";
export { parseP2PText, readP2PFile } from "./p2p/load.js";
export type { Gpu, Matrix, MatrixInfo, MatrixKind, P2PNode, PairFacts } from "./p2p/model.js";
export { MATRICES, MATRIX_KINDS } from "./p2p/model.js";
export type { ProbeDocument } from "./p2p/probe.js";
export { PROBE_SCHEMA, parseProbeFile } from "./p2p/probe.js";
export { parseSampleOutput } from "./p2p/sample.js";
export { renderTables } from "./p2p/table.js";
export type { CheckOptions, RepoCheckResult } from "./repo/check.js";
export { checkRepository, repoChecks } from "./repo/check.js";
export type { ContextFilter } from "./repo/context.js";
export { contextFilter } from "./repo/context.js";
export type { Install, InstallKind, Origin, PkgRef } from "./repo/installs.js";
export type { LoadOptions } from "./repo/load.js";
export { loadRepository } from "./repo/load.js";
export type { Extension, FileProblem, Package, RepoModel } from "./repo/model.js";
export type { Rendered, TemplateIssue, TemplateResult, VariableRef } from "./repo/template.js";
export { renderTemplate, variableRefs } from "./repo/template.js";

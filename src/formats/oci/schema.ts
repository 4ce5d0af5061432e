import { z } from "zod";

/** The fields this reader uses; unknown fields and media types are left alone (the spec says to ignore them). */

const platform = z.object({
  os: z.string(),
  architecture: z.string(),
  variant: z.string().optional(),
});

export const descriptor = z.object({
  mediaType: z.string().optional(),
  digest: z.string(),
  size: z.number().int().nonnegative(),
  platform: platform.optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});
export type DescriptorJson = z.infer<typeof descriptor>;

export const index = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  manifests: z.array(descriptor),
});

export const manifest = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  config: descriptor,
  layers: z.array(descriptor),
});

/** Docker writes `null` for empty label and env lists. */
export const config = z.object({
  os: z.string().optional(),
  architecture: z.string().optional(),
  variant: z.string().optional(),
  config: z
    .object({
      Labels: z.record(z.string(), z.string()).nullish(),
      Env: z.array(z.string()).nullish(),
    })
    .nullish(),
  rootfs: z.object({ type: z.string(), diff_ids: z.array(z.string()) }),
});
export type ConfigJson = z.infer<typeof config>;

/** `docker save`'s manifest.json: one entry per image in the archive. */
export const dockerManifest = z.array(
  z.object({
    Config: z.string(),
    RepoTags: z.array(z.string()).nullish(),
    Layers: z.array(z.string()),
  }),
);

export const INDEX_TYPES: ReadonlySet<string> = new Set([
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
]);

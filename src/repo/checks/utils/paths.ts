/** What a shipped path is to the node: the dynamic loader's configuration, a kernel module. */

/** ld.so.cache, ld.so.conf and ld.so.conf.d entries: what the dynamic loader reads to find libraries. */
export const isLinkerConfig = (path: string): boolean =>
  /(^|\/)ld\.so\.(cache|conf)$/.test(path) || /\/ld\.so\.conf\.d\/[^/]+$/.test(path);

/** `/usr/lib/modules/<release>/…/name.ko[.xz|.gz|.zst]` → `name` with `-` as `_`, as the kernel names it. */
export function moduleName(path: string): string | undefined {
  const m = /^\/(?:usr\/)?lib\/modules\/.+\/([^/]+)\.ko(?:\.(?:xz|gz|zst))?$/.exec(path);
  return m ? (m[1] as string).replaceAll("-", "_") : undefined;
}

/** An extension service spec: machined loads every `.yaml` in /usr/local/etc/containers. */
export const isServiceSpec = (path: string): boolean => /^\/usr\/local\/etc\/containers\/[^/]+\.yaml$/.test(path);

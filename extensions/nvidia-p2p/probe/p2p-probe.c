/*
 * p2p-probe: what GPU peer-to-peer really does on this node, measured with the CUDA driver API alone.
 *
 * For every ordered pair of GPUs (src, dst) it asks the driver (cuDeviceCanAccessPeer, the P2P attributes,
 * cuCtxEnablePeerAccess in both directions) and then measures, once with peer access off (the driver stages
 * the copy through host memory) and once with it on: unidirectional bandwidth src->dst, bidirectional
 * bandwidth, the one-way latency of a small copy, and whether the copied bytes arrived intact.
 *
 * Prints one JSON document (schema talos-ext/p2p-probe/v1) on stdout. Exit status: 0 every planned figure
 * was measured; 1 some could not be (the document says which call failed); 2 nothing could be measured.
 */
#define _POSIX_C_SOURCE 200809L
#include <cuda.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SCHEMA "talos-ext/p2p-probe/v1"
#define MAX_GPUS 64
#define COPY_BYTES ((size_t)64 << 20)
#define COPY_REPEATS 10
#define LATENCY_BYTES ((size_t)16)
#define LATENCY_REPEATS 100
/* The stream gate waits at most this long for the host to finish queueing (see gate()). */
#define GATE_TIMEOUT_NS 1000000000LL
#define MAX_ERRORS 8
#define TEXT 320

typedef struct {
  int ok;
  double value;
} Figure;

typedef struct {
  const char *skipped; /* why this mode was not measured; NULL when it was */
  Figure uni, bi, latency;
  int verified; /* -1 not checked, 0 wrong bytes arrived, 1 intact */
  size_t mismatch_offset;
  int gate_timeouts;
} Mode;

typedef struct {
  int src, dst;
  int can_access, rank, access_supported, native_atomics; /* -1: the query failed */
  CUresult enable_src, enable_dst;                        /* src's context mapping dst, and dst's mapping src */
  Mode off, on;
  char errors[MAX_ERRORS][TEXT];
  int nerrors;
} Pair;

typedef struct {
  char name[256];
  char bus_id[64];
  size_t total_mem;
  int cc_major, cc_minor, domain, bus, device;
  unsigned long long bar1;
  char bar1_unavailable[TEXT]; /* empty when bar1 was read */
} Gpu;

static int n;
static CUdevice dev[MAX_GPUS];
static CUcontext ctx[MAX_GPUS];
static CUstream stream[MAX_GPUS];
static CUevent ev_start[MAX_GPUS], ev_stop[MAX_GPUS];
static CUdeviceptr buf_a[MAX_GPUS], buf_b[MAX_GPUS]; /* copies read buf_a of one GPU and write buf_b of the other */
static uint32_t *host_check;
static Gpu gpu[MAX_GPUS];

static void describe(CUresult r, char *out, size_t len) {
  const char *name = NULL, *text = NULL;
  if (cuGetErrorName(r, &name) != CUDA_SUCCESS || name == NULL) name = NULL;
  if (cuGetErrorString(r, &text) != CUDA_SUCCESS || text == NULL) text = NULL;
  if (name != NULL)
    snprintf(out, len, "%s (%d): %s", name, (int)r, text != NULL ? text : "no description");
  else
    snprintf(out, len, "CUresult %d", (int)r);
}

static const char *result_name(CUresult r) {
  static char fallback[32];
  const char *name = NULL;
  if (cuGetErrorName(r, &name) == CUDA_SUCCESS && name != NULL) return name;
  snprintf(fallback, sizeof fallback, "CUresult %d", (int)r);
  return fallback;
}

/* Records a failed call on the pair; returns whether the call succeeded. */
static int ok(Pair *p, CUresult r, const char *what) {
  if (r == CUDA_SUCCESS) return 1;
  if (p->nerrors < MAX_ERRORS) {
    char d[TEXT - 64];
    describe(r, d, sizeof d);
    snprintf(p->errors[p->nerrors], TEXT, "%s: %s", what, d);
  }
  p->nerrors++;
  return 0;
}

/* ---- JSON output ---- */

static void json_string(const char *s) {
  putchar('"');
  for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
    if (*c == '"' || *c == '\\')
      printf("\\%c", *c);
    else if (*c < 0x20)
      printf("\\u%04x", *c);
    else
      putchar(*c);
  }
  putchar('"');
}

static void json_string_or_null(const char *s) {
  if (s == NULL)
    fputs("null", stdout);
  else
    json_string(s);
}

static void json_figure(const Figure *f) {
  if (f->ok)
    printf("%.3f", f->value);
  else
    fputs("null", stdout);
}

static void json_tristate(int v) { fputs(v < 0 ? "null" : v ? "true" : "false", stdout); }

/* ---- host facts ---- */

/* First line of a /proc file that starts with prefix (the whole first line when prefix is ""), or NULL. */
static char *proc_line(const char *path, const char *prefix, char *out, size_t len) {
  FILE *f = fopen(path, "r");
  if (f == NULL) return NULL;
  char *found = NULL;
  while (fgets(out, (int)len, f) != NULL) {
    if (strncmp(out, prefix, strlen(prefix)) != 0) continue;
    size_t end = strcspn(out, "\n");
    while (end > 0 && out[end - 1] == ' ') end--;
    out[end] = '\0';
    found = out;
    break;
  }
  fclose(f);
  return found;
}

/*
 * The driver API has no attribute for BAR1 (NVML has, and the probe does without NVML), so its size is read
 * where the kernel publishes it: the device's sysfs `resource` file, one "start end flags" line per BAR
 * register. NVIDIA's BAR1 (the framebuffer aperture) is the second memory BAR after BAR0 (the registers); its
 * register index is 1, or 2 where BAR0 is 64-bit, as under some hypervisors.
 */
#define IORESOURCE_MEM 0x200ULL
static void read_bar1(Gpu *g) {
  char path[128];
  snprintf(path, sizeof path, "/sys/bus/pci/devices/%04x:%02x:%02x.0/resource", (unsigned)g->domain,
           (unsigned)g->bus, (unsigned)g->device);
  FILE *f = fopen(path, "r");
  if (f == NULL) {
    snprintf(g->bar1_unavailable, TEXT, "cannot open %s", path);
    return;
  }
  char line[256];
  int memory_bars = 0;
  /* Lines 0-5 are the BAR registers; the expansion ROM and bridge windows follow. */
  for (int reg = 0; reg < 6 && fgets(line, sizeof line, f) != NULL; reg++) {
    unsigned long long start, end, flags;
    if (sscanf(line, "%llx %llx %llx", &start, &end, &flags) != 3 || end <= start || !(flags & IORESOURCE_MEM))
      continue;
    if (++memory_bars == 2) {
      g->bar1 = end - start + 1;
      break;
    }
  }
  fclose(f);
  if (memory_bars < 2) snprintf(g->bar1_unavailable, TEXT, "%s lists fewer than two memory BARs", path);
}

/* The value of a /proc/driver/nvidia/params line `Key: "value"`, or NULL. */
static char *param_value(char *line) {
  if (line == NULL) return NULL;
  char *v = strchr(line, ':');
  if (v == NULL) return NULL;
  v += strspn(v + 1, " ") + 1;
  size_t len = strlen(v);
  if (len >= 2 && v[0] == '"' && v[len - 1] == '"') {
    v[len - 1] = '\0';
    v++;
  }
  return v;
}

/* ---- measurements ---- */

static _Atomic int gate_open;
static _Atomic int gate_timed_out;

/*
 * A host function queued first on the stream holds it until every small copy is queued, so the events time
 * the copies and not the host's enqueue rate. It gives up after GATE_TIMEOUT_NS, in case an enqueue blocks on
 * the held stream; the figure then includes enqueue time and the mode counts a gate timeout.
 */
static void CUDA_CB gate(void *unused) {
  (void)unused;
  struct timespec t0, t;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  while (!atomic_load(&gate_open)) {
    clock_gettime(CLOCK_MONOTONIC, &t);
    if ((t.tv_sec - t0.tv_sec) * 1000000000LL + (t.tv_nsec - t0.tv_nsec) > GATE_TIMEOUT_NS) {
      atomic_store(&gate_timed_out, 1);
      return;
    }
  }
}

static int use(Pair *p, int d) { return ok(p, cuCtxSetCurrent(ctx[d]), "cuCtxSetCurrent"); }

static CUresult copy(int dst, int src, size_t bytes, CUstream s) {
  return cuMemcpyPeerAsync(buf_b[dst], ctx[dst], buf_a[src], ctx[src], bytes, s);
}

/* Seconds between the start and stop events of GPU d, which the caller has synchronized. */
static int elapsed(Pair *p, int d, double *seconds) {
  float ms = 0;
  if (!ok(p, cuEventElapsedTime(&ms, ev_start[d], ev_stop[d]), "cuEventElapsedTime")) return 0;
  *seconds = ms / 1e3;
  return 1;
}

static void verify(Pair *p, Mode *m) {
  int i = p->src, j = p->dst;
  uint32_t pattern = 0xA5000000u | (uint32_t)(m == &p->on) << 16 | (uint32_t)i << 8 | (uint32_t)j;
  size_t words = COPY_BYTES / 4;
  /* The destination starts as the complement, so a copy that moves nothing cannot pass. */
  if (!use(p, i) || !ok(p, cuMemsetD32Async(buf_a[i], pattern, words, stream[i]), "cuMemsetD32Async")) return;
  if (!use(p, j) || !ok(p, cuMemsetD32Async(buf_b[j], ~pattern, words, stream[j]), "cuMemsetD32Async")) return;
  if (!ok(p, cuStreamSynchronize(stream[j]), "cuStreamSynchronize")) return;
  if (!use(p, i) || !ok(p, copy(j, i, COPY_BYTES, stream[i]), "cuMemcpyPeerAsync") ||
      !ok(p, cuStreamSynchronize(stream[i]), "cuStreamSynchronize"))
    return;
  if (!use(p, j) || !ok(p, cuMemcpyDtoH(host_check, buf_b[j], COPY_BYTES), "cuMemcpyDtoH")) return;
  m->verified = 1;
  for (size_t w = 0; w < words; w++)
    if (host_check[w] != pattern) {
      m->verified = 0;
      m->mismatch_offset = w * 4;
      break;
    }
}

static void unidirectional(Pair *p, Mode *m) {
  int i = p->src, j = p->dst, before = p->nerrors;
  if (!use(p, i) || !ok(p, cuEventRecord(ev_start[i], stream[i]), "cuEventRecord")) return;
  for (int r = 0; r < COPY_REPEATS; r++)
    if (!ok(p, copy(j, i, COPY_BYTES, stream[i]), "cuMemcpyPeerAsync")) break;
  ok(p, cuEventRecord(ev_stop[i], stream[i]), "cuEventRecord");
  ok(p, cuStreamSynchronize(stream[i]), "cuStreamSynchronize");
  double s;
  if (p->nerrors == before && elapsed(p, i, &s)) {
    m->uni.ok = 1;
    m->uni.value = (double)COPY_BYTES * COPY_REPEATS / 1e9 / s;
  }
}

/* Both directions at once, each on its source GPU's stream; dst's stream starts when src's does. */
static void bidirectional(Pair *p, Mode *m) {
  int i = p->src, j = p->dst, before = p->nerrors;
  if (!use(p, i) || !ok(p, cuEventRecord(ev_start[i], stream[i]), "cuEventRecord")) return;
  if (!use(p, j) || !ok(p, cuStreamWaitEvent(stream[j], ev_start[i], 0), "cuStreamWaitEvent")) return;
  for (int r = 0; r < COPY_REPEATS; r++)
    if (!ok(p, copy(j, i, COPY_BYTES, stream[i]), "cuMemcpyPeerAsync") ||
        !ok(p, copy(i, j, COPY_BYTES, stream[j]), "cuMemcpyPeerAsync"))
      break;
  if (ok(p, cuEventRecord(ev_stop[j], stream[j]), "cuEventRecord") && use(p, i) &&
      ok(p, cuStreamWaitEvent(stream[i], ev_stop[j], 0), "cuStreamWaitEvent"))
    ok(p, cuEventRecord(ev_stop[i], stream[i]), "cuEventRecord");
  ok(p, cuStreamSynchronize(stream[i]), "cuStreamSynchronize");
  ok(p, cuStreamSynchronize(stream[j]), "cuStreamSynchronize");
  double s;
  if (p->nerrors == before && elapsed(p, i, &s)) {
    m->bi.ok = 1;
    m->bi.value = 2.0 * COPY_BYTES * COPY_REPEATS / 1e9 / s;
  }
}

static void latency(Pair *p, Mode *m) {
  int i = p->src, j = p->dst, before = p->nerrors;
  if (!use(p, i)) return;
  atomic_store(&gate_open, 0);
  atomic_store(&gate_timed_out, 0);
  if (!ok(p, cuLaunchHostFunc(stream[i], gate, NULL), "cuLaunchHostFunc")) return;
  if (ok(p, cuEventRecord(ev_start[i], stream[i]), "cuEventRecord")) {
    for (int r = 0; r < LATENCY_REPEATS; r++)
      if (!ok(p, copy(j, i, LATENCY_BYTES, stream[i]), "cuMemcpyPeerAsync")) break;
    ok(p, cuEventRecord(ev_stop[i], stream[i]), "cuEventRecord");
  }
  atomic_store(&gate_open, 1);
  ok(p, cuStreamSynchronize(stream[i]), "cuStreamSynchronize");
  m->gate_timeouts += atomic_load(&gate_timed_out);
  double s;
  if (p->nerrors == before && elapsed(p, i, &s)) {
    m->latency.ok = 1;
    m->latency.value = s * 1e6 / LATENCY_REPEATS;
  }
}

static void measure(Pair *p, Mode *m) {
  verify(p, m);
  unidirectional(p, m);
  bidirectional(p, m);
  latency(p, m);
}

/* The CUresult of `from` mapping `to`'s memory: an answer, not an error, when the driver refuses. */
static CUresult enable(Pair *p, int from, int to) {
  CUresult r = cuCtxSetCurrent(ctx[from]);
  if (!ok(p, r, "cuCtxSetCurrent")) return r;
  return cuCtxEnablePeerAccess(ctx[to], 0);
}

static void probe_pair(Pair *p) {
  int i = p->src, j = p->dst, v;
  p->can_access = ok(p, cuDeviceCanAccessPeer(&v, dev[i], dev[j]), "cuDeviceCanAccessPeer") ? v != 0 : -1;
  p->rank = ok(p, cuDeviceGetP2PAttribute(&v, CU_DEVICE_P2P_ATTRIBUTE_PERFORMANCE_RANK, dev[i], dev[j]),
               "cuDeviceGetP2PAttribute(PERFORMANCE_RANK)")
                ? v
                : -1;
  p->access_supported =
      ok(p, cuDeviceGetP2PAttribute(&v, CU_DEVICE_P2P_ATTRIBUTE_ACCESS_SUPPORTED, dev[i], dev[j]),
         "cuDeviceGetP2PAttribute(ACCESS_SUPPORTED)")
          ? v != 0
          : -1;
  p->native_atomics =
      ok(p, cuDeviceGetP2PAttribute(&v, CU_DEVICE_P2P_ATTRIBUTE_NATIVE_ATOMIC_SUPPORTED, dev[i], dev[j]),
         "cuDeviceGetP2PAttribute(NATIVE_ATOMIC_SUPPORTED)")
          ? v != 0
          : -1;

  measure(p, &p->off);

  /* Tried even when the driver says no: its refusal (the CUresult) is part of the answer. */
  p->enable_src = enable(p, i, j);
  p->enable_dst = enable(p, j, i);
  if (p->enable_src == CUDA_SUCCESS && p->enable_dst == CUDA_SUCCESS)
    measure(p, &p->on);
  else
    p->on.skipped = "cuCtxEnablePeerAccess did not succeed in both directions";
  if (p->enable_src == CUDA_SUCCESS && use(p, i)) ok(p, cuCtxDisablePeerAccess(ctx[j]), "cuCtxDisablePeerAccess");
  if (p->enable_dst == CUDA_SUCCESS && use(p, j)) ok(p, cuCtxDisablePeerAccess(ctx[i]), "cuCtxDisablePeerAccess");
}

/* ---- setup ---- */

static char fatal[2 * TEXT];

static int must(CUresult r, const char *what) {
  if (r == CUDA_SUCCESS) return 1;
  char d[TEXT];
  describe(r, d, sizeof d);
  snprintf(fatal, sizeof fatal, "%s: %s", what, d);
  return 0;
}

static int setup(void) {
  if (!must(cuDeviceGetCount(&n), "cuDeviceGetCount")) return 0;
  if (n > MAX_GPUS) {
    snprintf(fatal, sizeof fatal, "%d GPUs, more than the %d this probe measures", n, MAX_GPUS);
    return 0;
  }
  for (int d = 0; d < n; d++) {
    Gpu *g = &gpu[d];
    if (!must(cuDeviceGet(&dev[d], d), "cuDeviceGet") ||
        !must(cuDeviceGetName(g->name, sizeof g->name, dev[d]), "cuDeviceGetName") ||
        !must(cuDeviceGetPCIBusId(g->bus_id, sizeof g->bus_id, dev[d]), "cuDeviceGetPCIBusId") ||
        !must(cuDeviceTotalMem(&g->total_mem, dev[d]), "cuDeviceTotalMem") ||
        !must(cuDeviceGetAttribute(&g->cc_major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev[d]),
              "cuDeviceGetAttribute(COMPUTE_CAPABILITY_MAJOR)") ||
        !must(cuDeviceGetAttribute(&g->cc_minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev[d]),
              "cuDeviceGetAttribute(COMPUTE_CAPABILITY_MINOR)") ||
        !must(cuDeviceGetAttribute(&g->domain, CU_DEVICE_ATTRIBUTE_PCI_DOMAIN_ID, dev[d]),
              "cuDeviceGetAttribute(PCI_DOMAIN_ID)") ||
        !must(cuDeviceGetAttribute(&g->bus, CU_DEVICE_ATTRIBUTE_PCI_BUS_ID, dev[d]),
              "cuDeviceGetAttribute(PCI_BUS_ID)") ||
        !must(cuDeviceGetAttribute(&g->device, CU_DEVICE_ATTRIBUTE_PCI_DEVICE_ID, dev[d]),
              "cuDeviceGetAttribute(PCI_DEVICE_ID)"))
      return 0;
    read_bar1(g);
    if (!must(cuDevicePrimaryCtxRetain(&ctx[d], dev[d]), "cuDevicePrimaryCtxRetain") ||
        !must(cuCtxSetCurrent(ctx[d]), "cuCtxSetCurrent") ||
        !must(cuStreamCreate(&stream[d], CU_STREAM_NON_BLOCKING), "cuStreamCreate") ||
        !must(cuEventCreate(&ev_start[d], CU_EVENT_DEFAULT), "cuEventCreate") ||
        !must(cuEventCreate(&ev_stop[d], CU_EVENT_DEFAULT), "cuEventCreate") ||
        !must(cuMemAlloc(&buf_a[d], COPY_BYTES), "cuMemAlloc") ||
        !must(cuMemAlloc(&buf_b[d], COPY_BYTES), "cuMemAlloc"))
      return 0;
  }
  host_check = malloc(COPY_BYTES);
  if (host_check == NULL) {
    snprintf(fatal, sizeof fatal, "malloc: no memory for the %zu-byte check buffer", COPY_BYTES);
    return 0;
  }
  return 1;
}

/* ---- main ---- */

static void print_mode(const Mode *m) {
  if (m->skipped != NULL) {
    fputs("null", stdout);
    return;
  }
  fputs("{\"unidirectionalGBps\": ", stdout);
  json_figure(&m->uni);
  fputs(", \"bidirectionalGBps\": ", stdout);
  json_figure(&m->bi);
  fputs(", \"latencyUs\": ", stdout);
  json_figure(&m->latency);
  fputs(", \"dataIntact\": ", stdout);
  json_tristate(m->verified);
  if (m->verified == 0) printf(", \"firstMismatchOffset\": %zu", m->mismatch_offset);
  printf(", \"gateTimeouts\": %d}", m->gate_timeouts);
}

static void print_pair(const Pair *p) {
  printf("    {\"src\": %d, \"dst\": %d, \"canAccessPeer\": ", p->src, p->dst);
  json_tristate(p->can_access);
  fputs(", \"attributes\": {\"performanceRank\": ", stdout);
  if (p->rank < 0)
    fputs("null", stdout);
  else
    printf("%d", p->rank);
  fputs(", \"accessSupported\": ", stdout);
  json_tristate(p->access_supported);
  fputs(", \"nativeAtomicSupported\": ", stdout);
  json_tristate(p->native_atomics);
  fputs("},\n     \"enablePeerAccess\": {\"srcToDst\": ", stdout);
  json_string(result_name(p->enable_src));
  fputs(", \"dstToSrc\": ", stdout);
  json_string(result_name(p->enable_dst));
  fputs("},\n     \"p2pOff\": ", stdout);
  print_mode(&p->off);
  fputs(",\n     \"p2pOn\": ", stdout);
  print_mode(&p->on);
  fputs(", \"p2pOnSkipped\": ", stdout);
  json_string_or_null(p->on.skipped);
  fputs(",\n     \"errors\": [", stdout);
  int shown = p->nerrors < MAX_ERRORS ? p->nerrors : MAX_ERRORS;
  for (int e = 0; e < shown; e++) {
    if (e > 0) fputs(", ", stdout);
    json_string(p->errors[e]);
  }
  if (p->nerrors > shown) printf(", \"... %d more\"", p->nerrors - shown);
  fputs("]}", stdout);
}

int main(void) {
  char host[256] = "", when[32] = "", module[TEXT], dwords[TEXT];
  if (gethostname(host, sizeof host - 1) != 0) strcpy(host, "unknown");
  time_t now = time(NULL);
  strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));

  int version = 0;
  int started = must(cuInit(0), "cuInit") && must(cuDriverGetVersion(&version), "cuDriverGetVersion");
  const char *module_line = proc_line("/proc/driver/nvidia/version", "", module, sizeof module);
  const char *registry =
      param_value(proc_line("/proc/driver/nvidia/params", "RegistryDwords:", dwords, sizeof dwords));

  printf("{\n  \"schema\": \"%s\",\n  \"host\": ", SCHEMA);
  json_string(host);
  printf(",\n  \"time\": \"%s\",\n  \"driver\": {\"cudaVersion\": ", when);
  if (version > 0)
    printf("\"%d.%d\"", version / 1000, version % 1000 / 10);
  else
    fputs("null", stdout);
  fputs(", \"kernelModule\": ", stdout);
  json_string_or_null(module_line);
  fputs(", \"registryDwords\": ", stdout);
  json_string_or_null(registry);
  printf("},\n  \"method\": {\"api\": \"CUDA driver API\", \"copy\": \"cuMemcpyPeerAsync on the source GPU's stream\", "
         "\"copyBytes\": %zu, \"copyRepeats\": %d, \"latencyBytes\": %zu, \"latencyRepeats\": %d, "
         "\"timing\": \"cuEventElapsedTime\", \"gigabyte\": 1000000000},\n",
         COPY_BYTES, COPY_REPEATS, LATENCY_BYTES, LATENCY_REPEATS);

  if (!started || !setup()) {
    fputs("  \"devices\": [],\n  \"pairs\": [],\n  \"error\": ", stdout);
    json_string(fatal);
    fputs("\n}\n", stdout);
    return 2;
  }

  fputs("  \"devices\": [\n", stdout);
  for (int d = 0; d < n; d++) {
    const Gpu *g = &gpu[d];
    printf("    {\"index\": %d, \"name\": ", d);
    json_string(g->name);
    fputs(", \"pciBusId\": ", stdout);
    json_string(g->bus_id);
    printf(", \"computeCapability\": \"%d.%d\", \"totalMemBytes\": %zu, \"bar1Bytes\": ", g->cc_major, g->cc_minor,
           g->total_mem);
    if (g->bar1_unavailable[0] == '\0')
      printf("%llu, \"bar1Source\": \"sysfs resource\"", g->bar1);
    else {
      fputs("null, \"bar1Unavailable\": ", stdout);
      json_string(g->bar1_unavailable);
    }
    printf("}%s\n", d + 1 < n ? "," : "");
  }
  fputs("  ],\n  \"pairs\": [\n", stdout);
  fflush(stdout);

  int failed = 0, first = 1;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) {
      if (i == j) continue;
      Pair p = {.src = i, .dst = j, .off = {.verified = -1}, .on = {.verified = -1}};
      probe_pair(&p);
      if (!first) fputs(",\n", stdout);
      first = 0;
      print_pair(&p);
      fflush(stdout);
      failed |= p.nerrors > 0;
    }
  fputs("\n  ],\n  \"error\": null\n}\n", stdout);
  return failed ? 1 : 0;
}

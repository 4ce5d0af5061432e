/*
 * Link-time stand-in for libcuda.so.1, built only when the toolkit ships no stubs/libcuda.so (NVIDIA's own
 * stub, which this mirrors). Each definition takes its prototype from cuda.h, so the symbol names (the _v2
 * aliases included) are the driver's. The probe's NEEDED entry is libcuda.so.1 and the driver's library is
 * loaded at run time; should this stub be loaded instead, every call says CUDA_ERROR_STUB_LIBRARY.
 * It holds exactly the functions p2p-probe.c calls: a missing one fails the link.
 */
#include <cuda.h>

#define STUB return CUDA_ERROR_STUB_LIBRARY

CUresult CUDAAPI cuInit(unsigned int Flags) { (void)Flags; STUB; }
CUresult CUDAAPI cuDriverGetVersion(int *v) { (void)v; STUB; }
CUresult CUDAAPI cuGetErrorName(CUresult e, const char **s) { (void)e; (void)s; STUB; }
CUresult CUDAAPI cuGetErrorString(CUresult e, const char **s) { (void)e; (void)s; STUB; }
CUresult CUDAAPI cuDeviceGetCount(int *c) { (void)c; STUB; }
CUresult CUDAAPI cuDeviceGet(CUdevice *d, int o) { (void)d; (void)o; STUB; }
CUresult CUDAAPI cuDeviceGetName(char *n, int l, CUdevice d) { (void)n; (void)l; (void)d; STUB; }
CUresult CUDAAPI cuDeviceGetPCIBusId(char *b, int l, CUdevice d) { (void)b; (void)l; (void)d; STUB; }
CUresult CUDAAPI cuDeviceTotalMem(size_t *b, CUdevice d) { (void)b; (void)d; STUB; }
CUresult CUDAAPI cuDeviceGetAttribute(int *v, CUdevice_attribute a, CUdevice d) { (void)v; (void)a; (void)d; STUB; }
CUresult CUDAAPI cuDeviceCanAccessPeer(int *c, CUdevice d, CUdevice p) { (void)c; (void)d; (void)p; STUB; }
CUresult CUDAAPI cuDeviceGetP2PAttribute(int *v, CUdevice_P2PAttribute a, CUdevice s, CUdevice d) {
  (void)v; (void)a; (void)s; (void)d; STUB;
}
CUresult CUDAAPI cuDevicePrimaryCtxRetain(CUcontext *c, CUdevice d) { (void)c; (void)d; STUB; }
CUresult CUDAAPI cuCtxSetCurrent(CUcontext c) { (void)c; STUB; }
CUresult CUDAAPI cuCtxEnablePeerAccess(CUcontext p, unsigned int f) { (void)p; (void)f; STUB; }
CUresult CUDAAPI cuCtxDisablePeerAccess(CUcontext p) { (void)p; STUB; }
CUresult CUDAAPI cuStreamCreate(CUstream *s, unsigned int f) { (void)s; (void)f; STUB; }
CUresult CUDAAPI cuStreamSynchronize(CUstream s) { (void)s; STUB; }
CUresult CUDAAPI cuStreamWaitEvent(CUstream s, CUevent e, unsigned int f) { (void)s; (void)e; (void)f; STUB; }
CUresult CUDAAPI cuEventCreate(CUevent *e, unsigned int f) { (void)e; (void)f; STUB; }
CUresult CUDAAPI cuEventRecord(CUevent e, CUstream s) { (void)e; (void)s; STUB; }
CUresult CUDAAPI cuEventElapsedTime(float *ms, CUevent a, CUevent b) { (void)ms; (void)a; (void)b; STUB; }
CUresult CUDAAPI cuLaunchHostFunc(CUstream s, CUhostFn f, void *u) { (void)s; (void)f; (void)u; STUB; }
CUresult CUDAAPI cuMemAlloc(CUdeviceptr *p, size_t b) { (void)p; (void)b; STUB; }
CUresult CUDAAPI cuMemsetD32Async(CUdeviceptr p, unsigned int v, size_t n, CUstream s) {
  (void)p; (void)v; (void)n; (void)s; STUB;
}
CUresult CUDAAPI cuMemcpyDtoH(void *h, CUdeviceptr d, size_t b) { (void)h; (void)d; (void)b; STUB; }
CUresult CUDAAPI cuMemcpyPeerAsync(CUdeviceptr d, CUcontext dc, CUdeviceptr s, CUcontext sc, size_t b, CUstream st) {
  (void)d; (void)dc; (void)s; (void)sc; (void)b; (void)st; STUB;
}

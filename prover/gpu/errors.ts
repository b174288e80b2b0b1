/** The WebGPU MSM backend's errors, each with a stable code. */
import { DrexError } from '../../protocol/errors.ts';

/** No WebGPU adapter or device could be obtained (no driver, no Vulkan ICD, a refused request). */
export class WebGpuUnavailableError extends DrexError {
  override name = 'WebGpuUnavailableError';
  readonly code = 'WEBGPU_UNAVAILABLE';
}

/** MSM inputs that do not fit the layout: bases not 64 bytes each, scalars not 32 per base, a coordinate >= p. */
export class MsmInputError extends DrexError {
  override name = 'MsmInputError';
  readonly code = 'MSM_BASES_INVALID';
}

/** The GPU failed the computation (device lost, a validation or out-of-memory error); `cause` says how. */
export class GpuComputeError extends DrexError {
  override name = 'GpuComputeError';
  readonly code = 'GPU_COMPUTE_FAILED';
}

import type { CreateVolumeInput } from './volumes.js';
import { parseCreateVolume } from './volume.schemas.js';
import { HttpFault } from '../../http/fault-mapper.js';
import { invalid } from '../../domain/errors.js';

/**
 * Cinder's own check of a create request for callers other than Cinder's route: Nova's os-volumes
 * proxy lets through what its looser schema accepts (nested metadata, 300-character names, sizes
 * past 2^31) and relies on Cinder's API to refuse them, as Nova's cinderclient call does. A
 * refusal is Cinder's 400 as an invalid-input error, which Nova reports as its InvalidInput.
 */
export function cinderCreateInput(volume: Record<string, unknown>): CreateVolumeInput {
  try {
    return parseCreateVolume({ volume }, 0);
  } catch (err) {
    if (err instanceof HttpFault && err.status === 400) throw invalid(err.message);
    throw err;
  }
}

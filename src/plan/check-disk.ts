/**
 * Would the run fit on disk? (pure). The same arithmetic as the run's disk guard (src/disk): the
 * state folder's filesystem must keep `--min-free` free after the run staged what is left to
 * stage; a local destination must then take the zip, and when it shares the state folder's
 * filesystem that comes on top of the staged bytes and the floor. An S3 destination is streamed
 * from the state folder (nothing extra lands locally), so it has no check.
 */
import type { ByteEstimate, DiskCheck, DiskPlan, DiskSurvey, DiskWarning } from './types.js';

export function checkDisk(bytes: ByteEstimate, disk: DiskSurvey, minFree: number): DiskPlan {
  const toStage = Math.max(0, bytes.staged - disk.alreadyStaged);
  const checks: DiskCheck[] = [];
  const check = (filesystem: DiskCheck['filesystem'], paths: string[], need: number): void => {
    const reading = filesystem === 'destination' ? disk.destination : disk.state;
    const free = reading?.free ?? null;
    checks.push({
      filesystem,
      paths,
      free,
      total: reading?.total ?? null,
      need,
      fits: free === null ? null : free >= need,
      ...(reading?.error === undefined ? {} : { error: reading.error }),
    });
  };
  const state = disk.state;
  const dest = disk.destination;
  if (dest !== null && dest.device !== null && dest.device === state.device) {
    check('state_and_destination', [state.path, dest.path], toStage + bytes.shipped + minFree);
  } else {
    check('state', [state.path], toStage + minFree);
    if (dest !== null) check('destination', [dest.path], bytes.shipped);
  }
  const warnings: DiskWarning[] = [];
  for (const c of checks) {
    if (c.fits !== false || c.free === null) continue;
    warnings.push({
      code: 'disk_short',
      filesystem: c.filesystem,
      path: c.paths[0] ?? '',
      free: c.free,
      need: c.need,
      short: c.need - c.free,
    });
  }
  return {
    minFree,
    alreadyStaged: disk.alreadyStaged,
    toStage,
    destination: dest === null ? 's3' : 'local',
    checks,
    warnings,
  };
}

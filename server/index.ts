/** `peerconnect serve` in one process: the origin and signaling on one HTTP server. */

export { FIRST_VISIT_MODES, type FirstVisitMode } from '../origin/index.js';
export { ServerError } from './errors.js';
export {
  DEFAULT_HOST,
  DEFAULT_PORT,
  type RunningServer,
  type ServeOptions,
  startServer,
} from './server.js';

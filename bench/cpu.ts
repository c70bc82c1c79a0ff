// The CPU-time reply every bench child gives (`{ type: 'cpu' }`), in a module of its own so that the
// echo server can answer it without loading the product's server.
import type { ServerMessage } from './server';

/** This process's CPU time so far (user + system): the bench divides a variant's share by its requests. */
export function cpuMessage(): ServerMessage {
  const usage = process.cpuUsage();
  return { type: 'cpu', micros: usage.user + usage.system };
}

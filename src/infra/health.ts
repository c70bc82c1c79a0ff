// GET /health: the process is up. GET /ready: PostgreSQL and Redis both answer (else 503 naming the failures).
import { Router } from 'express';

const READY_TIMEOUT_MS = 2_000;

export type Probe = () => Promise<void>;

export function healthRouter(probes: Record<string, Probe>): Router {
  const router = Router();
  router.get('/health', (_request, response) => {
    response.json({ status: 'ok' });
  });
  router.get('/ready', async (_request, response) => {
    const names = Object.keys(probes);
    const results = await Promise.all(names.map((name) => withTimeout(probes[name]!())));
    const checks = Object.fromEntries(names.map((name, index) => [name, results[index] ? 'ok' : 'unavailable']));
    const ready = results.every(Boolean);
    response.status(ready ? 200 : 503).json({ status: ready ? 'ok' : 'unavailable', checks });
  });
  return router;
}

async function withTimeout(probe: Promise<void>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), READY_TIMEOUT_MS);
  });
  try {
    return await Promise.race([probe.then(() => true, () => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

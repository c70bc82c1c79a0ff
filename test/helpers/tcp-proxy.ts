// A failing network for tests: an in-process TCP proxy in front of PostgreSQL or Redis that can be cut and restored.
import net from 'node:net';

/**
 * `refuse`: live connections are reset and nothing listens, so connects fail with ECONNREFUSED.
 * `blackhole`: live connections are reset; new ones connect but bytes go nowhere (a hang).
 * `freeze`: a silent partition: live connections stay open but stop carrying bytes, new ones hang as in `blackhole`.
 */
export type CutMode = 'refuse' | 'blackhole' | 'freeze';

export interface TcpProxy {
  readonly host: string;
  readonly port: number;
  /** `url` with its host and port replaced by the proxy's (user, password, path and query kept). */
  proxied(url: string): string;
  /** Breaks the path (see CutMode) until `restore()`. */
  cut(mode?: CutMode): Promise<void>;
  /** Forwards new connections again; stalled and frozen ones are dropped, so clients reconnect. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

const HOST = '127.0.0.1';

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  const pairs = new Set<[net.Socket, net.Socket]>();
  let state: 'open' | 'refuse' | 'blackhole' = 'open';
  let closed = false;

  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('error', () => socket.destroy());
    socket.on('close', () => sockets.delete(socket));
  };

  const onConnection = (client: net.Socket) => {
    track(client);
    if (state !== 'open') return; // blackhole: accepted, never read, never answered
    client.setNoDelay(true);
    const upstream = net.connect({ host: target.host, port: target.port });
    upstream.setNoDelay(true);
    track(upstream);
    // Either side ending tears down both, as a broken network path would.
    const pair: [net.Socket, net.Socket] = [client, upstream];
    pairs.add(pair);
    client.on('close', () => {
      pairs.delete(pair);
      upstream.destroy();
    });
    upstream.on('close', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  };

  let server = net.createServer(onConnection);
  await listen(server, 0);
  const port = (server.address() as net.AddressInfo).port;

  const dropAll = () => {
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    pairs.clear();
  };

  return {
    host: HOST,
    port,
    proxied(url) {
      const parsed = new URL(url);
      parsed.hostname = HOST;
      parsed.port = String(port);
      return parsed.toString();
    },
    async cut(mode = 'refuse') {
      if (closed) throw new Error('proxy is closed');
      if (mode !== 'refuse' && !server.listening) await listen((server = net.createServer(onConnection)), port);
      if (mode === 'freeze') {
        state = 'blackhole';
        for (const [client, upstream] of pairs) {
          client.unpipe(upstream);
          upstream.unpipe(client);
          client.pause();
          upstream.pause();
        }
        return;
      }
      state = mode;
      const stopped = mode === 'refuse' && server.listening ? closeServer(server) : Promise.resolve();
      dropAll();
      await stopped;
    },
    async restore() {
      if (closed) throw new Error('proxy is closed');
      dropAll();
      if (!server.listening) await listen((server = net.createServer(onConnection)), port);
      state = 'open';
    },
    async close() {
      closed = true;
      const stopped = server.listening ? closeServer(server) : Promise.resolve();
      dropAll();
      await stopped;
    },
  };
}

function listen(server: net.Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function closeServer(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

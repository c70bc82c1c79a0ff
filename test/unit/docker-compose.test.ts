// docker-compose.yml, the Dockerfile and .env.example agree with the configuration the service
// really reads (src/config/env.schema.ts) and with what production requires (SPEC §2, §9).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/config';
import { envSchema } from '../../src/config/env.schema';

const ROOT = path.resolve(__dirname, '..', '..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');
const CONFIG_VARIABLES = new Set(Object.keys(envSchema.shape));
/** A version like 18.6-alpine, or v1.21.8 as some projects (Mailpit) tag theirs; never latest. */
const VERSION_TAG = /^v?\d+\.\d+(\.\d+)?([-.][\w.-]+)?$/;

interface Service {
  image?: string;
  profiles?: string[];
  command?: string | string[];
  build?: string | { context?: string; dockerfile?: string };
  environment?: Record<string, string | number | boolean | null> | string[];
  healthcheck?: { test?: string | string[] };
  depends_on?: string[] | Record<string, { condition?: string }>;
  ports?: (string | number | { target?: number; published?: number | string })[];
  expose?: (string | number)[];
  volumes?: (string | { type?: string; source?: string; target?: string })[];
}
interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

const compose = parse(read('docker-compose.yml')) as Compose;
const services = compose.services;
const appName = Object.keys(services).find((name) => services[name]!.build !== undefined)!;
const app = services[appName]!;

/** Values for the variables compose would take from the shell (JWT secrets of 48 bytes, as README suggests). */
const SAMPLE_SHELL = {
  JWT_SECRET: 'sample-access-secret-0123456789-0123456789-abcdef',
  JWT_REFRESH_SECRET: 'sample-refresh-secret-0123456789-0123456789-abcd',
  DATA_ENCRYPTION_KEY: 'c2FtcGxlLWRhdGEta2V5LTMyLWJ5dGVzLWxvbmchISE=',
};

class MissingVariable extends Error {}

/** Compose interpolation: $$, $NAME, ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}, ${NAME?error}, ${NAME:+alt}. */
function interpolate(text: string, shell: Record<string, string>): string {
  const pattern = /\$(?:(\$)|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g;
  return text.replace(pattern, (_match, dollar?: string, braced?: string, operator?: string, argument?: string, bare?: string) => {
    if (dollar) return '$';
    const name = (braced ?? bare)!;
    const value = shell[name];
    const set = operator?.startsWith(':') ? value !== undefined && value !== '' : value !== undefined;
    switch (operator?.replace(':', '')) {
      case '-':
        return set ? value! : argument!;
      case '?':
        if (!set) throw new MissingVariable(`${name}: ${argument}`);
        return value!;
      case '+':
        return set ? argument! : '';
      default:
        return value ?? '';
    }
  });
}

function environmentOf(service: Service): Record<string, string> {
  const environment = service.environment ?? {};
  if (Array.isArray(environment)) {
    return Object.fromEntries(
      environment.map((entry) => {
        const at = entry.indexOf('=');
        return at < 0 ? [entry, ''] : [entry.slice(0, at), entry.slice(at + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(environment).map(([name, value]) => [name, value === null ? '' : String(value)]));
}

function interpolatedEnvironment(service: Service, shell: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(environmentOf(service)).map(([name, value]) => [name, interpolate(value, shell)]));
}

/** The tag of an image reference (registry ports and digests aside). */
function tagOf(image: string): string | undefined {
  const [name] = image.split('@');
  const last = name!.split('/').pop()!;
  return last.includes(':') ? last.slice(last.indexOf(':') + 1) : undefined;
}

const healthcheckText = (service: Service) => [service.healthcheck?.test ?? []].flat().join(' ');

describe('docker-compose.yml', () => {
  it('runs postgres, redis, mailpit and the service built from this repository, and Prometheus only in the metrics profile', () => {
    const always = Object.keys(services).filter((name) => !services[name]!.profiles);
    expect(always.sort()).toEqual(['mailpit', 'portcullis', 'postgres', 'redis']);
    expect(services.prometheus?.profiles).toEqual(['metrics']);
    expect(appName).toBe('portcullis');
    const build = typeof app.build === 'string' ? { context: app.build } : app.build!;
    expect(path.resolve(ROOT, build.context ?? '.')).toBe(ROOT);
    expect(existsSync(path.join(ROOT, build.dockerfile ?? 'Dockerfile'))).toBe(true);
  });

  it('pins every image to a specific version, never latest', () => {
    const images = Object.values(services).flatMap((service) => (service.image ? [service.image] : []));
    expect(images.length).toBeGreaterThanOrEqual(2);
    for (const image of images) {
      const tag = tagOf(image);
      expect({ image, tag }).toEqual({ image, tag: expect.stringMatching(VERSION_TAG) });
      expect(tag).not.toMatch(/latest/);
    }
  });

  it('gives postgres and redis healthchecks that ask the servers themselves', () => {
    expect(healthcheckText(services.postgres!)).toContain('pg_isready');
    expect(healthcheckText(services.redis!)).toMatch(/redis-cli.*ping/);
  });

  it('starts the service only once postgres and redis are healthy', () => {
    expect(app.depends_on).toEqual({ postgres: { condition: 'service_healthy' }, redis: { condition: 'service_healthy' } });
  });

  it('checks the service itself through /ready on its own port, without curl', () => {
    const port = environmentOf(app).PORT ?? '4000';
    const check = healthcheckText(app);

    expect(check).toMatch(/^CMD node -e /);
    expect(check).toContain(`:${port}/ready`);
  });

  it('keeps PostgreSQL data in a named volume where the image stores it', () => {
    const major = Number(tagOf(services.postgres!.image!)!.split('.')[0]);
    // From PostgreSQL 18 the official image keeps its data under /var/lib/postgresql/<major>/docker.
    const dataDir = major >= 18 ? '/var/lib/postgresql' : '/var/lib/postgresql/data';
    const mounts = (services.postgres!.volumes ?? []).map((volume) =>
      typeof volume === 'string' ? { source: volume.split(':')[0], target: volume.split(':')[1] } : volume,
    );

    const data = mounts.find((mount) => mount.target === dataDir);
    expect(data).toBeDefined();
    expect(Object.keys(compose.volumes ?? {})).toContain(data!.source);
  });

  it('sets only variables the service really reads', () => {
    const unknown = Object.keys(environmentOf(app)).filter((name) => !CONFIG_VARIABLES.has(name));

    expect(unknown).toEqual([]);
  });

  it('sets what production requires: NODE_ENV, both stores, and the keys of the chosen algorithm', () => {
    const environment = environmentOf(app);
    const algorithm = (environment.JWT_ALGORITHM ?? 'HS256').toUpperCase();
    const keyVariables =
      algorithm === 'HS256' ? ['JWT_SECRET', 'JWT_REFRESH_SECRET'] : ['JWT_PRIVATE_KEY', 'JWT_REFRESH_PRIVATE_KEY'];

    expect(environment.NODE_ENV).toBe('production');
    expect(environment.DATABASE_URL).toBeTruthy();
    expect(environment.REDIS_URL).toBeTruthy();
    for (const name of keyVariables) expect(environment[name] || environment[`${name}_FILE`]).toBeTruthy();
  });

  it('takes the JWT secrets from the shell and refuses to start without them', () => {
    const environment = environmentOf(app);

    expect(environment.JWT_SECRET).toMatch(/^\$\{JWT_SECRET:?\?.+\}$/);
    expect(environment.JWT_REFRESH_SECRET).toMatch(/^\$\{JWT_REFRESH_SECRET:?\?.+\}$/);
    expect(() => interpolatedEnvironment(app, {})).toThrow(MissingVariable);
    expect(() => interpolatedEnvironment(app, { JWT_SECRET: SAMPLE_SHELL.JWT_SECRET })).toThrow(/JWT_REFRESH_SECRET/);
  });

  it.each([
    ['the default password', {}],
    ['a password from the shell', { POSTGRES_PASSWORD: 's3cret-from-shell' }],
  ])('points DATABASE_URL at the postgres service, its user, password and database, with %s', (_label, extra: Record<string, string>) => {
    const shell = { ...SAMPLE_SHELL, ...extra };
    const url = new URL(interpolatedEnvironment(app, shell).DATABASE_URL!);
    const postgres = interpolatedEnvironment(services.postgres!, shell);

    expect(['postgres:', 'postgresql:']).toContain(url.protocol);
    expect(url.hostname).toBe('postgres');
    expect(url.port || '5432').toBe('5432');
    expect(decodeURIComponent(url.username)).toBe(postgres.POSTGRES_USER);
    expect(decodeURIComponent(url.password)).toBe(postgres.POSTGRES_PASSWORD);
    expect(url.pathname).toBe(`/${postgres.POSTGRES_DB ?? postgres.POSTGRES_USER}`);
    if (extra.POSTGRES_PASSWORD) expect(postgres.POSTGRES_PASSWORD).toBe(extra.POSTGRES_PASSWORD);
  });

  it('points REDIS_URL at the redis service', () => {
    const url = new URL(interpolatedEnvironment(app, SAMPLE_SHELL).REDIS_URL!);

    expect(['redis:', 'rediss:']).toContain(url.protocol);
    expect(url.hostname).toBe('redis');
    expect(url.port || '6379').toBe('6379');
  });

  it('publishes the port the service listens on', () => {
    const port = Number(environmentOf(app).PORT ?? 4000);
    const targets = (app.ports ?? []).map((mapping) =>
      typeof mapping === 'object' ? Number(mapping.target) : Number(String(mapping).split('/')[0]!.split(':').pop()),
    );

    expect(targets).toContain(port);
    expect(app.ports).toContainEqual(`${port}:${port}`);
  });

  it('serves the coprocessor on the compose network only: its port is exposed to other containers, never published', () => {
    const environment = environmentOf(app);
    const port = Number(environment.COPROCESSOR_PORT);
    const published = (app.ports ?? []).map((mapping) =>
      typeof mapping === 'object' ? Number(mapping.target) : Number(String(mapping).split('/')[0]!.split(':').pop()),
    );

    expect(port).toBeGreaterThan(0);
    expect(port).not.toBe(Number(environment.PORT ?? 4000));
    expect(environment.COPROCESSOR_HOST).toBe('0.0.0.0'); // other containers reach it by the service name
    expect((app.expose ?? []).map(Number)).toContain(port);
    expect(published).not.toContain(port);
  });

  it('sends mail to Mailpit on the compose network and publishes its web UI on 8025, unless the shell names another SMTP server', () => {
    const mailpit = services.mailpit!;
    const smtp = new URL(interpolatedEnvironment(app, SAMPLE_SHELL).SMTP_URL!);

    expect(mailpit.image).toMatch(/^axllent\/mailpit:/);
    expect(mailpit.ports).toContainEqual('8025:8025');
    expect(smtp.protocol).toBe('smtp:');
    expect(smtp.hostname).toBe('mailpit');
    expect((mailpit.expose ?? []).map(String)).toContain(smtp.port);
    expect((mailpit.ports ?? []).map(String).some((mapping) => mapping.endsWith(':1025'))).toBe(false); // SMTP stays inside
    expect(interpolatedEnvironment(app, { ...SAMPLE_SHELL, SMTP_URL: 'smtps://u:p@mail.example.com:465' }).SMTP_URL).toBe('smtps://u:p@mail.example.com:465');
  });

  it('serves metrics on the compose network only, where the metrics profile\'s Prometheus scrapes them with the committed config', () => {
    const environment = environmentOf(app);
    const port = Number(environment.METRICS_PORT);
    const published = (app.ports ?? []).map((mapping) =>
      typeof mapping === 'object' ? Number(mapping.target) : Number(String(mapping).split('/')[0]!.split(':').pop()),
    );
    expect(port).toBeGreaterThan(0);
    expect(environment.METRICS_HOST).toBe('0.0.0.0');
    expect((app.expose ?? []).map(Number)).toContain(port);
    expect(published).not.toContain(port);

    const prometheus = services.prometheus!;
    const mounts = (prometheus.volumes ?? []).map((volume) => (typeof volume === 'string' ? volume.split(':') : [volume.source, volume.target]));
    const config = mounts.find(([, target]) => target === '/etc/prometheus/prometheus.yml');
    expect(config?.[0]).toBe('./deploy/prometheus.yml');
    const scrape = parse(read('deploy/prometheus.yml')) as { scrape_configs: Array<{ metrics_path?: string; static_configs: Array<{ targets: string[] }> }> };
    expect(scrape.scrape_configs[0]!.metrics_path ?? '/metrics').toBe('/metrics');
    expect(scrape.scrape_configs[0]!.static_configs[0]!.targets).toEqual([`${appName}:${port}`]);
    // The UI and API have no authentication: on the host's loopback only.
    expect(prometheus.ports).toEqual(['127.0.0.1:9090:9090']);
  });

  it('is a valid production configuration once the shell provides the secrets', () => {
    const config = loadConfig(interpolatedEnvironment(app, SAMPLE_SHELL));

    expect(config.env).toBe('production');
    expect(config.databaseUrl).toMatch(/@postgres:5432\//);
    expect(config.redisUrl).toBe('redis://redis:6379');
    expect(config.jwt.keys).toBeDefined();
    expect(config.graphql.introspection).toBe(false);
    expect(config.coprocessor).toEqual({ port: 4001, host: '0.0.0.0' });
    expect(config.mail.smtpUrl).toBe('smtp://mailpit:1025');
    expect(config.metrics).toEqual({ port: 9464, host: '0.0.0.0' });
  });
});

/** Dockerfile instructions with line continuations joined and comments dropped. */
function dockerfileInstructions(): { instruction: string; args: string }[] {
  return read('Dockerfile')
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const [instruction, ...rest] = line.split(/\s+/);
      return { instruction: instruction!.toUpperCase(), args: rest.join(' ') };
    });
}

/** The instructions of the last stage, the one that becomes the image. */
function finalStage(): { instruction: string; args: string }[] {
  const instructions = dockerfileInstructions();
  const lastFrom = instructions.map((entry) => entry.instruction).lastIndexOf('FROM');
  return instructions.slice(lastFrom);
}

function baseImages(): string[] {
  const instructions = dockerfileInstructions();
  const stages = new Set<string>();
  const images: string[] = [];
  for (const { instruction, args } of instructions) {
    if (instruction !== 'FROM') continue;
    const words = args.split(/\s+/).filter((word) => !word.startsWith('--'));
    if (!stages.has(words[0]!)) images.push(words[0]!);
    if (words[1]?.toUpperCase() === 'AS' && words[2]) stages.add(words[2]);
  }
  return images;
}

/** Whether version x.y.z is at least the one a simple ">=x.y[.z]" range names. */
function satisfiesAtLeast(version: string, range: string): boolean {
  const minimum = /^>=\s*(\d+(?:\.\d+){0,2})$/.exec(range.trim());
  if (!minimum) throw new Error(`engines.node "${range}" is not of the >=x.y.z form this test understands`);
  const parts = (text: string) => [...text.split('.').map(Number), 0, 0].slice(0, 3);
  const [have, need] = [parts(version), parts(minimum[1]!)];
  for (let i = 0; i < 3; i += 1) if (have[i]! !== need[i]!) return have[i]! > need[i]!;
  return true;
}

describe('Dockerfile', () => {
  it('pins every base image to a specific version', () => {
    const images = baseImages();

    expect(images.length).toBeGreaterThan(0);
    for (const image of images) expect({ image, tag: tagOf(image) }).toEqual({ image, tag: expect.stringMatching(VERSION_TAG) });
  });

  it('builds on a Node version that package.json engines allows', () => {
    const engines = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node;
    const nodeImages = baseImages().filter((image) => /^(docker\.io\/)?(library\/)?node:/.test(image));

    expect(nodeImages.length).toBeGreaterThan(0);
    for (const image of nodeImages) {
      const version = /^(\d+(?:\.\d+){0,2})/.exec(tagOf(image)!)![1]!;
      expect({ image, allowed: satisfiesAtLeast(version, engines) }).toEqual({ image, allowed: true });
    }
  });

  it('runs the final image as a non-root user', () => {
    const users = finalStage().filter((entry) => entry.instruction === 'USER');

    expect(users.length).toBeGreaterThan(0);
    const user = users.at(-1)!.args.split(':')[0];
    expect(['root', '0', '']).not.toContain(user);
  });

  it('starts dist/src/main.js with node', () => {
    const cmd = finalStage().filter((entry) => entry.instruction === 'CMD').at(-1);

    expect(cmd).toBeDefined();
    expect(JSON.parse(cmd!.args)).toEqual(['node', 'dist/src/main.js']);
  });

  it('copies prisma/ and scripts/ before npm ci, whose postinstall generates the Prisma client', () => {
    const instructions = dockerfileInstructions();
    const npmCi = instructions.findIndex((entry) => entry.instruction === 'RUN' && /\bnpm ci\b/.test(entry.args));
    const copies = (what: RegExp) => instructions.findIndex((entry, index) => index < npmCi && entry.instruction === 'COPY' && what.test(entry.args));

    expect(npmCi).toBeGreaterThan(0);
    expect(copies(/(^|\s)prisma\/?(\s|$)/)).toBeGreaterThan(-1);
    expect(copies(/(^|\s)scripts\/?(\s|$)/)).toBeGreaterThan(-1);
  });

  it('ships the migrations, which the service applies at start-up, and exposes its port', () => {
    const stage = finalStage();

    expect(stage.some((entry) => entry.instruction === 'COPY' && entry.args.includes('prisma/migrations'))).toBe(true);
    expect(stage.some((entry) => entry.instruction === 'COPY' && /(^|\s)\S*\/dist\s/.test(entry.args))).toBe(true);
    expect(stage.filter((entry) => entry.instruction === 'EXPOSE').map((entry) => entry.args)).toContain('4000');
  });

  it('keeps local state and secrets out of the build context', () => {
    const ignored = read('.dockerignore')
      .split(/\r?\n/)
      .map((line) => line.trim().replace(/\/$/, ''));

    for (const entry of ['node_modules', 'dist', '.data', '.git', '.env']) expect(ignored).toContain(entry);
  });
});

describe('.env.example', () => {
  /** `NAME=value` lines, commented (`# NAME=`) or not; prose comments never match (no spaces in the value). */
  const assignments = read('.env.example')
    .split(/\r?\n/)
    .map((line) => /^(#\s*)?([A-Z][A-Z0-9_]*)=(\S*)$/.exec(line.trim()))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => ({ commented: match[1] !== undefined, name: match[2]!, value: match[3]! }));

  it('documents every configuration variable and nothing else', () => {
    const documented = new Set(assignments.map((entry) => entry.name));

    expect([...CONFIG_VARIABLES].filter((name) => !documented.has(name))).toEqual([]);
    expect([...documented].filter((name) => !CONFIG_VARIABLES.has(name))).toEqual([]);
  });

  it('names each variable once', () => {
    const names = assignments.map((entry) => entry.name);

    expect(names.filter((name, index) => names.indexOf(name) !== index)).toEqual([]);
  });

  const active = Object.fromEntries(assignments.filter((entry) => !entry.commented).map((entry) => [entry.name, entry.value]));

  it('loads as it is when copied to .env', () => {
    expect(() => loadConfig(active)).not.toThrow();
  });

  it('shows the real defaults: its active values load to the same Config as no variables at all, key for key', () => {
    const fromExample = loadConfig(active);
    const defaults = loadConfig({});

    expect(Object.keys(active).length).toBeGreaterThan(30);
    expect(Object.keys(fromExample).sort()).toEqual(Object.keys(defaults).sort());
    for (const key of Object.keys(defaults) as (keyof typeof defaults)[]) {
      expect({ key, value: fromExample[key] }).toEqual({ key, value: defaults[key] });
    }
  });
});

import { spawn, type ChildProcess } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { waitForHttp } from './wait.ts'

export function nginxBinary(): string | undefined {
  return ['/usr/sbin/nginx', '/usr/bin/nginx', '/usr/local/sbin/nginx'].find((path) =>
    existsSync(path),
  )
}

export interface NginxOptions {
  /** Where the config, logs and temp files go. */
  dir: string
  port: number
  /** The API replicas' ports. */
  upstreams: readonly number[]
  /** The built page (web/dist). */
  webDist: string
}

/**
 * nginx standing in for CloudFront and the ALB: one origin that serves the page and routes
 * `/api/*`, `/auth/*` and the health checks to the replicas. A replica that refuses connections or
 * times out is skipped for a few seconds (passive health checks, as close to the ALB as open-source
 * nginx gets), and a request that never reached a replica is retried on another. Result streams
 * pass through unbuffered with a long read timeout, as CloudFront's VPC origin does.
 */
export function nginxConfig(options: NginxOptions): string {
  const proxy = `
      proxy_pass http://api;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_connect_timeout 1s;
      # Only when a replica is gone or broken: a 503 from the API (database down, overloaded) is
      # an answer for the client, not a reason to mark the replica dead.
      proxy_next_upstream error timeout http_502;
      proxy_next_upstream_tries 3;`
  // The page's headers, as CloudFront's response-headers policy sends them.
  const pageHeaders = `
      add_header Content-Security-Policy "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'" always;
      add_header X-Content-Type-Options nosniff always;
      add_header X-Frame-Options DENY always;
      add_header Referrer-Policy strict-origin-when-cross-origin always;`
  const temp = (name: string) => join(options.dir, 'temp', name)
  // Started by root (CI), nginx would run its workers as `nobody`, who may not be able to read a
  // checkout under a private home: keep them as the user who started the lab.
  const user = process.getuid?.() === 0 ? 'user root;\n' : ''
  return `# Written by scripts/stack/nginx.ts — regenerated on every start.
${user}worker_processes 1;
error_log ${join(options.dir, 'error.log')} warn;
pid ${join(options.dir, 'nginx.pid')};
events { worker_connections 20000; }
worker_rlimit_nofile 45000;
http {
  access_log off;
  client_body_temp_path ${temp('body')};
  proxy_temp_path ${temp('proxy')};
  fastcgi_temp_path ${temp('fastcgi')};
  uwsgi_temp_path ${temp('uwsgi')};
  scgi_temp_path ${temp('scgi')};
  types {
    text/html html;
    text/javascript js;
    text/css css;
    application/json json;
    image/svg+xml svg;
    image/png png;
    image/x-icon ico;
  }
  default_type application/octet-stream;
  client_max_body_size 64k;

  upstream api {
${options.upstreams.map((port) => `    server 127.0.0.1:${String(port)} max_fails=1 fail_timeout=3s;`).join('\n')}
    keepalive 64;
  }

  server {
    listen 127.0.0.1:${String(options.port)};
    root ${options.webDist};

    location ~ ^/api/polls/[^/]+/results/stream$ {${proxy}
      proxy_buffering off;
      proxy_cache off;
      proxy_read_timeout 1h;
    }
    location /api/ {${proxy}
      proxy_read_timeout 30s;
    }
    location /auth/ {${proxy}
    }
    location = /config.json {${proxy}
    }
    location = /healthz {${proxy}
    }
    location = /readyz {${proxy}
    }
    location /assets/ {
      add_header Cache-Control "public, max-age=31536000, immutable";
    }
    location / {${pageHeaders}
      add_header Cache-Control no-cache;
      try_files $uri /index.html;
    }
  }
}
`
}

export interface NginxProxy {
  readonly url: string
  readonly dir: string
  readonly process: ChildProcess
  stop(): Promise<void>
}

export async function startNginx(options: NginxOptions): Promise<NginxProxy> {
  const binary = nginxBinary()
  if (!binary) throw new Error('nginx is not installed (Debian: apt-get install nginx)')
  for (const name of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) {
    mkdirSync(join(options.dir, 'temp', name), { recursive: true })
    // Run as root, nginx's workers are `nobody`: they must be able to write here.
    chmodSync(join(options.dir, 'temp', name), 0o777)
  }
  const conf = join(options.dir, 'nginx.conf')
  writeFileSync(conf, nginxConfig(options))
  const child = spawn(binary, ['-c', conf, '-p', options.dir, '-g', 'daemon off;'], {
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const url = `http://127.0.0.1:${String(options.port)}`
  const started = await waitForHttp(`${url}/`, {
    alive: () => child.exitCode === null,
    timeoutMs: 10_000,
  })
  if (!started) throw new Error(`nginx did not start (see ${options.dir}/error.log)`)
  return {
    url,
    dir: options.dir,
    process: child,
    async stop() {
      if (child.exitCode === null) child.kill('SIGQUIT') // graceful: finish what is in flight
      await exited
    },
  }
}

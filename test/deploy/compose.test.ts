// compose.yaml and deploy/ cannot run here (no Docker engine): check what can be checked without one.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { promtool } from '../helpers/promtool.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string) => readFileSync(root + path, 'utf8');
const compose = parse(read('compose.yaml'), { merge: true });
const services: Record<string, any> = compose.services;

describe('compose.yaml', () => {
  it('restarts every service by itself', () => {
    for (const [name, s] of Object.entries(services)) expect({ name, restart: s.restart }).toEqual({ name, restart: 'unless-stopped' });
  });

  it('gives Redis a maxmemory with noeviction, AOF, and a password from the environment only', () => {
    const conf = read('deploy/redis/redis.conf');
    expect(conf).toMatch(/^maxmemory \d+[kmg]b$/m);
    expect(conf).toMatch(/^maxmemory-policy noeviction$/m);
    expect(conf).toMatch(/^appendonly yes$/m);
    expect(conf).not.toMatch(/requirepass/);
    expect(services.redis.environment.REDIS_PASSWORD).toMatch(/^\$\{REDIS_PASSWORD:\?/);
    expect(services.redis.command.join(' ')).toContain('requirepass');
    for (const name of ['engine', 'pricer', 'gateway-a', 'gateway-b']) expect(services[name].environment.REDIS_PASSWORD).toMatch(/^\$\{REDIS_PASSWORD:\?/);
  });

  it('has a scale profile: a pricer, two gateways behind the edge, Prometheus and Grafana', () => {
    const scale = Object.entries(services).filter(([, s]) => s.profiles?.includes('scale')).map(([n]) => n);
    expect(scale.sort()).toEqual(['edge', 'gateway-a', 'gateway-b', 'grafana', 'pricer', 'prometheus']);
    const edge = services.edge.environment;
    expect([edge.FX_GATEWAY_1, edge.FX_GATEWAY_2, edge.FX_GATEWAY_2_STATE]).toEqual(['gateway-a:8080', 'gateway-b:8080', 'enabled']);
    expect(services.pricer.environment.FX_ROLE).toBe('pricer');
    expect([services['gateway-a'].environment.FX_ROLE, services['gateway-b'].environment.FX_ROLE]).toEqual(['gateway', 'gateway']);
  });

  it('mounts only files that exist, and Prometheus scrapes every engine process', async () => {
    for (const s of Object.values(services))
      for (const v of s.volumes ?? []) if (v.startsWith('./')) expect(existsSync(root + v.split(':')[0].slice(2))).toBe(true);
    const prometheus = parse(read('deploy/prometheus/prometheus.yml'));
    expect(prometheus.rule_files).toEqual(['alerts.yaml']);
    const targets = prometheus.scrape_configs[0].static_configs[0].targets.map((t: string) => t.split(':')[0]).sort();
    expect(targets).toEqual(['engine', 'gateway-a', 'gateway-b', 'pricer']);
    expect(await promtool(['check', 'config', root + 'deploy/prometheus/prometheus.yml'])).toMatch(/is valid prometheus config/);
  });

  it('provisions Grafana with the Prometheus datasource and the dashboard', () => {
    const ds = parse(read('deploy/grafana/provisioning/datasources/prometheus.yaml'));
    expect(ds.datasources[0]).toMatchObject({ type: 'prometheus', url: 'http://prometheus:9090' });
    const provider = parse(read('deploy/grafana/provisioning/dashboards/fx-engine.yaml')).providers[0];
    expect(services.grafana.volumes).toContain(`./deploy/grafana/fx-engine.json:${provider.options.path}/fx-engine.json:ro`);
  });
});

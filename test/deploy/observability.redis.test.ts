// What operators run against: a live engine's /metrics passes promtool, the alert rules check and pass
// their unit tests, and the alerts and the Grafana dashboard read only metrics the engine exports.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { exposedTypes, isExposed, metricNames, promtool } from '../helpers/promtool.js';
import { CLIENT, eventually, http, startServer, TRANSFER, type TestServer } from '../helpers/server.js';
import { StreamClient } from '../helpers/ws-client.js';

const deploy = (path: string) => fileURLToPath(new URL(`../../deploy/${path}`, import.meta.url));

describe('observability', () => {
  let server: TestServer;
  let metrics: string;

  beforeAll(async () => {
    server = await startServer({ store: 'redis' });
    // Traffic on every kind of route, so the labelled histograms have series.
    const stream = await StreamClient.open(server.ws, { authorization: `Bearer ${CLIENT}` });
    stream.send({ op: 'subscribe', corridors: ['USD-INR'] });
    await stream.next((f) => f.type === 'quote' && f.tradeable);
    stream.close();
    const lock = await http(server.base, 'POST', '/v1/quotes', { key: CLIENT, body: { corridor: 'USD-INR', sendAmount: '100.00' } });
    expect(lock.status).toBe(201);
    await http(server.base, 'POST', `/v1/quotes/${lock.json.id}/redeem`, { key: TRANSFER, body: { sendAmount: '100.00' }, headers: { 'idempotency-key': 'k' } });
    await http(server.base, 'GET', `/v1/quotes/${lock.json.id}`, { key: TRANSFER });
    await http(server.base, 'GET', '/v1/nope');
    metrics = await eventually(async () => {
      const text = (await http(server.base, 'GET', '/metrics')).text;
      return /fx_tick_to_publish_seconds_count [1-9]/.test(text) ? text : undefined;
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('passes promtool check metrics on a live /metrics', async () => {
    await promtool(['check', 'metrics'], metrics);
    // and the check does refuse what the issue found (a gauge named _total)
    await expect(promtool(['check', 'metrics'], '# HELP x_total x\n# TYPE x_total gauge\nx_total 1\n')).rejects.toThrow(/non-counter metrics should not have "_total" suffix/);
  });

  it('exports Node\'s default metrics under their standard names, and the build', () => {
    expect(metrics).toMatch(/^process_cpu_seconds_total \d/m);
    expect(metrics).toMatch(/^process_resident_memory_bytes \d/m);
    expect(metrics).toMatch(/^nodejs_eventloop_lag_p99_seconds \d/m);
    expect(metrics).not.toMatch(/fx_process_|nodejs_active_handles_total/);
    expect(metrics).toMatch(new RegExp(`^fx_build_info\\{version="0\\.1\\.0",commit="unknown",node="${process.version.replace(/\./g, '\\.')}"\\} 1$`, 'm'));
  });

  it('counts HTTP requests by route pattern, method and status, never by raw URL', () => {
    const http = [...metrics.matchAll(/^fx_http_request_duration_seconds_count\{([^}]*)\} (\d+)$/gm)].map((m) => m[1]);
    expect(http).toEqual(expect.arrayContaining([
      'route="/v1/quotes",method="POST",status="201"',
      'route="/v1/quotes/:id/redeem",method="POST",status="200"',
      'route="/v1/quotes/:id",method="GET",status="200"',
      'route="unmatched",method="GET",status="404"',
    ]));
    expect(metrics).not.toMatch(/route="\/v1\/quotes\/q_/);
    expect(metrics).toMatch(/^fx_quote_op_seconds_count\{op="lock"\} [1-9]/m);
    expect(metrics).toMatch(/^fx_quote_op_seconds_count\{op="redeem"\} [1-9]/m);
  });

  it('has alert rules that check and pass their unit tests', async () => {
    expect(await promtool(['check', 'rules', deploy('prometheus/alerts.yaml')])).toMatch(/SUCCESS: \d+ rules found/);
    expect(await promtool(['test', 'rules', 'alerts.test.yaml'], undefined, deploy('prometheus'))).toMatch(/SUCCESS/);
  });

  it('alerts only on metrics the engine exports (and Prometheus\'s up), each linking to its runbook section', () => {
    const runbook = readFileSync(fileURLToPath(new URL('../../docs/runbook.md', import.meta.url)), 'utf8');
    const types = exposedTypes(metrics);
    const rules = parse(readFileSync(deploy('prometheus/alerts.yaml'), 'utf8')).groups.flatMap((g: any) => g.rules);
    expect(rules.length).toBeGreaterThanOrEqual(11);
    for (const rule of rules) {
      expect({ alert: rule.alert, missing: metricNames(rule.expr).filter((n) => n !== 'up' && !isExposed(n, types)) }).toEqual({ alert: rule.alert, missing: [] });
      expect(rule.annotations.runbook_url).toBe(`docs/runbook.md#${rule.alert.toLowerCase()}`);
      expect(runbook).toContain(`\n## ${rule.alert}\n`);
    }
  });

  it('plots only metrics the engine exports on the Grafana dashboard', () => {
    const dashboard = JSON.parse(readFileSync(deploy('grafana/fx-engine.json'), 'utf8'));
    const exprs: string[] = dashboard.panels.flatMap((p: any) => (p.targets ?? []).map((t: any) => t.expr));
    expect(exprs.length).toBeGreaterThan(20);
    const types = exposedTypes(metrics);
    const plotted = new Set(exprs.flatMap(metricNames));
    expect([...plotted].filter((n) => !isExposed(n, types))).toEqual([]);
    // what the issue asks the dashboard to show
    for (const name of ['fx_corridor_tradeable', 'fx_tick_to_publish_seconds_bucket', 'fx_quote_ops_total', 'fx_feed_state', 'fx_ws_clients',
      'fx_ws_slow_consumer_closes_total', 'fx_store_op_seconds_bucket', 'nodejs_eventloop_lag_p99_seconds'])
      expect(plotted).toContain(name);
  });

  it('finds metric names in PromQL the way the checks above need', () => {
    expect(metricNames('histogram_quantile(0.99, sum by (op, le) (rate(fx_store_op_seconds_bucket{instance=~"$instance",op!="x"}[$__rate_interval]))) > 1e3'))
      .toEqual(['fx_store_op_seconds_bucket']);
    expect(metricNames('count by (pair) (increase(a_total[2m]) > 0) >= count by (pair) (b_seconds < 30) and on (x) c')).toEqual(['a_total', 'b_seconds', 'c']);
    expect(isExposed('fx_store_op_seconds_count', exposedTypes(metrics))).toBe(true);
    expect(isExposed('fx_store_op_seconds_total', exposedTypes(metrics))).toBe(false);
  });
});

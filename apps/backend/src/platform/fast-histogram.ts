// A Prometheus histogram for the request path. prom-client's Histogram validates and hashes the label object on
// every observation; here an observation finds its series by one string key and increments a plain array. The
// registry reads it only when /metrics is scraped (get() returns the same metric object prom-client's own
// histograms produce: cumulative _bucket lines with `le`, then _sum and _count).
import type { Registry } from 'prom-client';

interface Series<L extends string> {
  labels: Record<L, string>;
  counts: number[];
  sum: number;
  count: number;
}

export class FastHistogram<L extends string> {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series = new Map<string, Series<L>>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly L[],
    private readonly bounds: readonly number[],
    registry: Registry,
  ) {
    registry.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  observe(labels: Record<L, string>, value: number): void {
    let key = '';
    for (const n of this.labelNames) key += `${labels[n]}\u0000`;
    let s = this.series.get(key);
    if (!s) {
      s = { labels: { ...labels }, counts: this.bounds.map(() => 0), sum: 0, count: 0 };
      this.series.set(key, s);
    }
    // Bounds are inclusive (le): the first bound at or above the value; above the last, only +Inf counts it.
    let i = 0;
    while (i < this.bounds.length && value > this.bounds[i]!) i++;
    if (i < this.bounds.length) s.counts[i]!++;
    s.sum += value;
    s.count++;
  }

  async get() {
    const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
    for (const s of this.series.values()) {
      let cumulative = 0;
      this.bounds.forEach((le, i) => {
        cumulative += s.counts[i]!;
        values.push({ labels: { le, ...s.labels }, value: cumulative, metricName: `${this.name}_bucket` });
      });
      values.push(
        { labels: { le: '+Inf', ...s.labels }, value: s.count, metricName: `${this.name}_bucket` },
        { labels: s.labels, value: s.sum, metricName: `${this.name}_sum` },
        { labels: s.labels, value: s.count, metricName: `${this.name}_count` },
      );
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  reset(): void {
    this.series.clear();
  }
}

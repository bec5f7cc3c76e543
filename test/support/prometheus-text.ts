import assert from "node:assert/strict";

/** One sample line of the Prometheus text exposition format. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

// name{label="value",…} value [timestamp]; label values escape \ " and newline.
const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$/;
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(?:,|$)/y;

/**
 * The samples of a text exposition (version 0.0.4), strictly: a line that
 * does not parse fails the test. (The npm package parse-prometheus-text-format
 * would do; it is not a dependency.)
 */
export function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const match = LINE.exec(line);
    assert.ok(match, `not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    const body = match[2] ?? "";
    LABEL.lastIndex = 0;
    while (LABEL.lastIndex < body.length) {
      const label = LABEL.exec(body);
      assert.ok(label, `bad labels in: ${line}`);
      labels[label[1] as string] = (label[2] as string).replace(/\\(.)/g, (_m, c: string) => (c === "n" ? "\n" : c));
    }
    const raw = match[3] as string;
    const value = raw === "+Inf" ? Number.POSITIVE_INFINITY : raw === "-Inf" ? Number.NEGATIVE_INFINITY : Number(raw);
    assert.ok(!Number.isNaN(value) || /^nan$/i.test(raw), `bad value in: ${line}`);
    samples.push({ name: match[1] as string, labels, value });
  }
  return samples;
}

/** Scrapes a /metrics URL: the samples, after checking status and content type. */
export async function scrape(url: string): Promise<Sample[]> {
  const res = await fetch(url);
  assert.equal(res.status, 200, `GET ${url}`);
  assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(await res.text());
}

/** The samples of one metric as "label=value,…" → value, for deepEqual against the expected counts. */
export function series(samples: readonly Sample[], name: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of samples) {
    if (s.name !== name) continue;
    const key = Object.entries(s.labels)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k}=${v}`)
      .join(",");
    out[key] = s.value;
  }
  return out;
}

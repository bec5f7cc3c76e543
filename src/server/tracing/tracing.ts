import type { Interceptor } from "@connectrpc/connect";
import { ConnectError } from "@connectrpc/connect";
import { rpcProtocol } from "../pipeline/rpc-protocol.js";
import { codeToString } from "../transport/connect-patches/connect-codes.js";

/** Tracing, when the OTEL_* environment turns it on: the span per RPC, and the exporter to flush at exit. */
export interface Tracing {
  /** Outermost of the RPC interceptors: one SERVER span per RPC, child of an incoming `traceparent`. */
  readonly interceptor: Interceptor;
  /** Ends tracing: spans still queued are exported (bounded by the exporter's timeout). */
  shutdown(): Promise<void>;
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Off by default. On when the standard variables ask for OTLP: an
 * OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT, or OTEL_TRACES_EXPORTER=otlp — and
 * not OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none.
 */
export function tracingRequested(env: Env): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === "true") return false;
  const exporters = (env.OTEL_TRACES_EXPORTER ?? "").split(",").map((e) => e.trim().toLowerCase());
  if (exporters.includes("none")) return false;
  return (
    exporters.includes("otlp") ||
    Boolean(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim()) ||
    Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim())
  );
}

/**
 * Starts OpenTelemetry tracing with an OTLP/HTTP exporter configured by the
 * OTEL_* variables (endpoint, headers, timeout, sampler, batch settings,
 * service name), or returns undefined when not requested. The SDK is loaded
 * only then: a server without tracing pays nothing for it.
 */
export async function startTracing(env: Env, version: string): Promise<Tracing | undefined> {
  if (!tracingRequested(env)) return undefined;
  const [api, { NodeTracerProvider, BatchSpanProcessor }, { OTLPTraceExporter }, { resourceFromAttributes }, core] =
    await Promise.all([
      import("@opentelemetry/api"),
      import("@opentelemetry/sdk-trace-node"),
      import("@opentelemetry/exporter-trace-otlp-http"),
      import("@opentelemetry/resources"),
      import("@opentelemetry/core"),
    ]);
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      "service.name": env.OTEL_SERVICE_NAME || "presignd",
      "service.version": version,
    }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  // The async-hooks context manager, so that code deep in a handler (the
  // access decision) reaches the RPC's span as the active one.
  provider.register({ propagator: new core.W3CTraceContextPropagator() });
  const tracer = provider.getTracer("presignd", version);
  const getter = {
    keys: (carrier: Headers) => {
      const names: string[] = [];
      carrier.forEach((_, name) => {
        names.push(name);
      });
      return names;
    },
    get: (carrier: Headers, key: string) => carrier.get(key) ?? undefined,
  };
  const interceptor: Interceptor = (next) => (req) => {
    const parent = api.propagation.extract(api.context.active(), req.header, getter);
    const attributes = {
      "rpc.system": req.header.get("content-type")?.startsWith("application/grpc") ? "grpc" : "connect_rpc",
      "rpc.service": req.service.typeName,
      "rpc.method": req.method.name,
      "presignd.protocol": rpcProtocol(req),
    };
    return tracer.startActiveSpan(
      `${req.service.typeName}/${req.method.name}`,
      { kind: api.SpanKind.SERVER, attributes },
      parent,
      async (span) => {
        try {
          const res = await next(req);
          span.setAttribute("rpc.connect_rpc.error_code", "ok");
          return res;
        } catch (error) {
          // The code only: messages can name keys and principals.
          const code = codeToString(ConnectError.from(error).code);
          span.setAttribute("rpc.connect_rpc.error_code", code);
          span.setStatus({ code: api.SpanStatusCode.ERROR, message: code });
          throw error;
        } finally {
          span.end();
        }
      },
    );
  };
  return { interceptor, shutdown: () => provider.shutdown() };
}

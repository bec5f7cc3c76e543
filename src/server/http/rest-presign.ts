import { create } from "@bufbuild/protobuf";
import { ConnectError, type ContextValues } from "@connectrpc/connect";
import {
  GetObjectRequestSchema,
  type PresignedRequest,
  PresignService,
  PutObjectRequestSchema,
} from "../../gen/presign/v1/presign_pb.js";
import { codeToHttpStatus, codeToString } from "../transport/connect-patches/connect-codes.js";
import type { UnaryInvoker } from "../transport/connect-patches/unary-fast-path.js";
import { type NodeRequest, type NodeResponse, writeJson } from "../transport/node-http.js";
import { hasMalformedPercentEscape } from "./percent-encoding.js";

/** Where the classic REST shape lives: GET /presign/<key>?method=GET|PUT&contentLength=N */
export const REST_PREFIX = "/presign/";

// Headers a REST caller passes on to the RPC (tracing). Credentials are not
// headers of the call: its context values carry those of this request, raw.
const FORWARDED = ["traceparent", "x-request-id"];
const GET_OBJECT = `/${PresignService.typeName}/${PresignService.method.getObject.name}`;
const PUT_OBJECT = `/${PresignService.typeName}/${PresignService.method.putObject.name}`;

/**
 * The aws-sdk-go presignURL example's REST API, answered exactly in its shape
 * ({"URL", "Method", "Header": {Name: [values]}}) so its client works
 * unchanged. It invokes PresignService's GetObject and PutObject in-process
 * (`invoke`), so the request passes the same interceptors (logging, errors,
 * authentication) and validation as an RPC; `contextValues` gives the call
 * the credentials this request presented, as for an RPC off the wire.
 */
export function restPresign(invoke: UnaryInvoker, contextValues: (req: NodeRequest) => ContextValues) {
  const call = (req: NodeRequest, path: string, input: unknown, header: Headers) =>
    invoke(path, input, {
      header,
      values: contextValues(req),
      url: `http://${req.headers.host ?? "localhost"}${path}`,
    }) as Promise<PresignedRequest>;
  return async (req: NodeRequest, res: NodeResponse): Promise<void> => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      return writeJson(
        res,
        405,
        { code: "unimplemented", message: `${req.method} is not supported; use GET` },
        { allow: "GET" },
      );
    }
    // Split by hand: WHATWG URL parsing would resolve "a/../b" to "b", and
    // the key must be checked (and refused) exactly as the caller sent it.
    const target = req.url ?? "/";
    const q = target.indexOf("?");
    const path = q === -1 ? target : target.slice(0, q);
    const query = new URLSearchParams(q === -1 ? "" : target.slice(q + 1));
    let key: string;
    try {
      key = decodeURIComponent(path.slice(REST_PREFIX.length));
    } catch {
      // decodeURIComponent throws for a malformed escape and for escaped bytes that are not UTF-8.
      const message = hasMalformedPercentEscape(path)
        ? "key: invalid percent-encoding in the path"
        : "key: the percent-decoded path is not valid UTF-8";
      return writeJson(res, 400, { code: "invalid_argument", message });
    }
    const method = (query.get("method") ?? "").toUpperCase();
    const headers = new Headers();
    for (const name of FORWARDED) {
      const value = req.headers[name];
      for (const v of typeof value === "string" ? [value] : (value ?? [])) headers.append(name, v);
    }
    try {
      let presigned: PresignedRequest;
      if (method === "GET") {
        presigned = await call(req, GET_OBJECT, create(GetObjectRequestSchema, { key }), headers);
      } else if (method === "PUT") {
        const length = query.get("contentLength");
        if (length === null || length === "") {
          return writeJson(res, 400, {
            code: "invalid_argument",
            message: "contentLength: is required with method=PUT (the body size in bytes)",
          });
        }
        if (!/^\d{1,19}$/.test(length)) {
          return writeJson(res, 400, {
            code: "invalid_argument",
            message: `contentLength: "${length.slice(0, 32)}" is not a whole number of bytes`,
          });
        }
        presigned = await call(
          req,
          PUT_OBJECT,
          create(PutObjectRequestSchema, { key, contentLength: BigInt(length) }),
          headers,
        );
      } else {
        return writeJson(res, 400, {
          code: "invalid_argument",
          message: 'method: must be GET or PUT (query parameter "method")',
        });
      }
      const header: Record<string, string[]> = {};
      for (const [name, value] of Object.entries(presigned.headers)) header[canonicalHeaderName(name)] = [value];
      return writeJson(res, 200, { URL: presigned.url, Method: presigned.method, Header: header });
    } catch (error) {
      const e = ConnectError.from(error);
      return writeJson(res, codeToHttpStatus(e.code), { code: codeToString(e.code), message: e.rawMessage });
    }
  };
}

/** Go's textproto.CanonicalMIMEHeaderKey: "x-amz-meta-owner" → "X-Amz-Meta-Owner". */
export function canonicalHeaderName(name: string): string {
  return name.toLowerCase().replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
}

import type { HandlerContext } from "@connectrpc/connect";
import { resolveCacheWindow } from "../../../core/cache-window.js";
import { presignDelete } from "../../../core/presign-delete.js";
import { presignGet } from "../../../core/presign-get.js";
import { presignHead } from "../../../core/presign-head.js";
import { presignPut } from "../../../core/presign-put.js";
import type {
  DeleteObjectRequest,
  GetObjectRequest,
  HeadObjectRequest,
  PutObjectRequest,
} from "../../../gen/presign/v1/presign_pb.js";
import type { Granted } from "../../access/access.js";
import { presignObject } from "../presign-object.js";
import { type PresignedRequestInit, presignedMessage } from "./presigned-message.js";
import type { RouteDeps } from "./route-deps.js";

/** GetObject: presign a download. */
export function getObject(deps: RouteDeps) {
  return async (req: GetObjectRequest, ctx: HandlerContext): Promise<PresignedRequestInit> => {
    const o = req.overrides;
    const signed = await presignObject(
      deps,
      ctx,
      req,
      { operation: "get", metadataNames: [] },
      { rpc: "GetObject" },
      ({ endpoint, granted, context }) =>
        presignGet(
          endpoint,
          {
            key: granted.key,
            versionId: req.versionId,
            range: req.range,
            ...(req.expiresIn ? { expiresIn: req.expiresIn } : {}),
            ...cacheWindow(req, granted),
            ...(o
              ? {
                  overrides: {
                    contentType: o.contentType,
                    contentDisposition: o.contentDisposition,
                    cacheControl: o.cacheControl,
                    contentEncoding: o.contentEncoding,
                    contentLanguage: o.contentLanguage,
                    expires: o.expires,
                    downloadFilename: o.downloadFilename,
                  },
                }
              : {}),
          },
          context,
        ),
    );
    return presignedMessage(signed);
  };
}

/** PutObject: presign a single-request upload of an exact length. */
export function putObject(deps: RouteDeps) {
  return async (req: PutObjectRequest, ctx: HandlerContext): Promise<PresignedRequestInit> => {
    const request = {
      operation: "put",
      contentLength: req.contentLength,
      contentType: req.contentType,
      metadataNames: Object.keys(req.metadata),
    } as const;
    const store = {
      rpc: "PutObject",
      contentType: req.contentType,
      contentMd5: req.contentMd5,
      checksumSha256: req.checksumSha256,
    } as const;
    const signed = await presignObject(
      deps,
      ctx,
      req,
      request,
      store,
      ({ endpoint, granted, context }) =>
        presignPut(
          endpoint,
          {
            key: granted.key,
            contentLength: req.contentLength,
            contentType: req.contentType,
            contentMd5: req.contentMd5,
            checksumSha256: req.checksumSha256,
            metadata: req.metadata,
            ...(req.expiresIn ? { expiresIn: req.expiresIn } : {}),
          },
          context,
        ),
      () => ({
        kind: "put",
        expectation: {
          minLength: req.contentLength,
          maxLength: req.contentLength,
          ...(req.contentType ? { contentType: req.contentType } : {}),
          ...(req.contentMd5 ? { contentMd5: req.contentMd5 } : {}),
          ...(req.checksumSha256 ? { checksumSha256: req.checksumSha256 } : {}),
          ...(Object.keys(req.metadata).length > 0 ? { metadata: req.metadata } : {}),
        },
      }),
    );
    return presignedMessage(signed);
  };
}

/** HeadObject: presign a HEAD (the object's headers, no bytes). */
export function headObject(deps: RouteDeps) {
  return async (req: HeadObjectRequest, ctx: HandlerContext): Promise<PresignedRequestInit> => {
    const signed = await presignObject(
      deps,
      ctx,
      req,
      { operation: "head", metadataNames: [] },
      { rpc: "HeadObject" },
      ({ endpoint, granted, context }) =>
        presignHead(
          endpoint,
          {
            key: granted.key,
            versionId: req.versionId,
            ...(req.expiresIn ? { expiresIn: req.expiresIn } : {}),
            ...cacheWindow(req, granted),
          },
          context,
        ),
    );
    return presignedMessage(signed);
  };
}

/** The window a GET or HEAD is signed in: the request's, else the allowing rule's. */
function cacheWindow(req: GetObjectRequest | HeadObjectRequest, granted: Granted): { cacheWindowSeconds?: number } {
  const seconds = resolveCacheWindow(req.cacheWindow, granted.cacheWindowSeconds);
  return seconds === undefined ? {} : { cacheWindowSeconds: seconds };
}

/** DeleteObject: presign a DELETE of one object (or version). */
export function deleteObject(deps: RouteDeps) {
  return async (req: DeleteObjectRequest, ctx: HandlerContext): Promise<PresignedRequestInit> => {
    const signed = await presignObject(
      deps,
      ctx,
      req,
      { operation: "delete", metadataNames: [] },
      { rpc: "DeleteObject" },
      ({ endpoint, granted, context }) =>
        presignDelete(
          endpoint,
          { key: granted.key, versionId: req.versionId, ...(req.expiresIn ? { expiresIn: req.expiresIn } : {}) },
          context,
        ),
    );
    return presignedMessage(signed);
  };
}

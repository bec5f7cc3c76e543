import { Code, ConnectError } from "@connectrpc/connect";
import type { Compression } from "@connectrpc/connect/protocol";
import { compressionBrotli, compressionGzip } from "@connectrpc/connect-node";

/**
 * connect-node's gzip and brotli, with one change: a request body (Connect)
 * or message (gRPC, gRPC-Web) that does not decompress is INVALID_ARGUMENT
 * with zlib's reason. connect-node answers INVALID_ARGUMENT for some zlib
 * errors and INTERNAL for others — a truncated stream (Z_BUF_ERROR) among
 * them — with the bare message "decompression failed". Too large after
 * decompression stays RESOURCE_EXHAUSTED.
 */
export const acceptCompression: Compression[] = [compressionGzip, compressionBrotli].map(callerErrors);

function callerErrors(compression: Compression): Compression {
  return {
    name: compression.name,
    compress: (bytes) => compression.compress(bytes),
    decompress: (bytes, readMaxBytes) =>
      compression.decompress(bytes, readMaxBytes).catch((reason: unknown) => {
        const error = ConnectError.from(reason);
        if (error.code === Code.ResourceExhausted) throw error;
        // connect-node keeps zlib's error as the cause ("unexpected end of file", "incorrect header check").
        const why = error.cause instanceof Error ? error.cause.message : error.rawMessage;
        throw new ConnectError(
          `request: the ${compression.name}-compressed message does not decompress (${why})`,
          Code.InvalidArgument,
        );
      }),
  };
}

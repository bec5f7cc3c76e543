declare module "@20minutes/s3rver" {
  import type { IncomingMessage, ServerResponse } from "node:http";

  interface S3rverOptions {
    address?: string;
    port?: number;
    directory?: string;
    silent?: boolean;
    resetOnClose?: boolean;
    allowMismatchedSignatures?: boolean;
    vhostBuckets?: boolean;
    configureBuckets?: { name: string; configs?: (string | Buffer)[] }[];
  }
  export default class S3rver {
    constructor(options: S3rverOptions);
    /** The request handler, for http.createServer() (documented API). */
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    /** Creates the configured buckets (documented API). */
    configureBuckets(): Promise<void>;
  }
}

// connect-es's own spelling of codes ("invalid_argument") and their HTTP
// statuses, for answers and log lines written outside connect-es (the REST
// shape, the RPC log line, metrics). Both are marked @private in
// @connectrpc/connect/protocol-connect: see README.md.
export { codeToHttpStatus, codeToString } from "@connectrpc/connect/protocol-connect";

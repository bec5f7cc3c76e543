import { DEV_BUCKET } from "../../src/server/config/config.js";
import { devS3MultipartUploads } from "../../src/server/transport/connect-patches/s3rver-abort-multipart.js";
import { devPageSuite } from "../support/dev-page-suite.js";
import { startDevServerProcess } from "../support/dev-server-process.js";

// What `npm start` serves: the page at "/" of `presignd serve --dev`, with the embedded S3
// (s3rver has no ListMultipartUploads: its uploads are read where it keeps them).
devPageSuite("dev", async () => {
  const dev = await startDevServerProcess();
  return {
    pageUrl: `${dev.url}/`,
    multipartUploads: async (prefix) =>
      (await devS3MultipartUploads(dev.dataDir, DEV_BUCKET)).filter((u) => u.key.startsWith(prefix)).length,
    close: () => dev.close(),
  };
});
